/**
 * A cyberbackup executable alone: copied into an empty folder and run with
 * a PATH without deno, from an empty working directory outside the
 * repository, with its own HOME and XDG_CACHE_HOME.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const decoder = new TextDecoder();

/** A folder whose entries link to those of /usr/bin and /bin, but not deno. */
async function binWithoutDeno(bin: string): Promise<void> {
  await Deno.mkdir(bin);
  const seen = new Set<string>();
  for (const dir of ["/usr/bin", "/bin"]) {
    for await (const entry of Deno.readDir(dir)) {
      if (/^deno/.test(entry.name) || seen.has(entry.name)) continue;
      seen.add(entry.name);
      await Deno.symlink(join(dir, entry.name), join(bin, entry.name));
    }
  }
}

/** An executable alone in an empty folder, and a world to run it in. */
export interface Sandbox {
  /** The temporary folder holding everything below (remove it when done). */
  root: string;
  exe: string;
  /** The working directory: empty, outside the repository. */
  work: string;
  /** Where the package unpacks ($XDG_CACHE_HOME/cyberbackup). */
  cache: string;
  env: Record<string, string>;
}

/** Copies `source` alone into a new folder, in a new world to run it in. */
export async function sandbox(source: string): Promise<Sandbox> {
  const base = await Deno.makeTempDir({ prefix: "cb-pkg-" });
  assert.ok(!base.startsWith(ROOT), "the sandbox is outside the repository");
  const exeDir = join(base, "exe");
  const work = join(base, "work");
  const home = join(base, "home");
  const xdgCache = join(base, "xdg-cache");
  for (const dir of [exeDir, work, home, xdgCache]) await Deno.mkdir(dir);
  const exe = join(exeDir, "cyberbackup");
  await Deno.copyFile(source, exe);
  await Deno.chmod(exe, 0o755);
  const path = join(base, "bin");
  await binWithoutDeno(path);
  const env = { PATH: path, HOME: home, XDG_CACHE_HOME: xdgCache };
  const which = await new Deno.Command("/bin/sh", {
    args: ["-c", "command -v deno || echo none"],
    clearEnv: true,
    env,
  }).output();
  assert.equal(decoder.decode(which.stdout).trim(), "none", "deno is off PATH");
  return { root: base, exe, work, cache: join(xdgCache, "cyberbackup"), env };
}

/** What a run of the executable printed and returned. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the executable of `box` with `args` (and `stdin`, when given). */
export async function run(
  box: Sandbox,
  args: string[],
  stdin?: string,
): Promise<Run> {
  const child = new Deno.Command(box.exe, {
    args,
    cwd: box.work,
    clearEnv: true,
    env: box.env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/** `result`, after asserting it exited 0. */
export function ok(result: Run, what: string): Run {
  assert.equal(result.code, 0, `${what}:\n${result.stdout}${result.stderr}`);
  return result;
}
