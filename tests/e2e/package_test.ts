/**
 * The single executable, alone: `dist/cyberbackup` (built by
 * build/package.ts) copied into an empty folder and run with a PATH
 * without deno, from a working directory outside the repository, through
 * every command. Any file the program still reads from the source tree or
 * the working directory fails here. Where Deno's `denort` is at hand
 * (`DENORT_BIN`, or dl.deno.land reachable), the same steps run against
 * the real `deno compile` output (build/compile.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { buildPackage } from "../../build/package.ts";
import { assertBytesEqual } from "../bytes_assert.ts";
import { everyCommand } from "./every_command.ts";
import { decoder, ok, ROOT, run, type Sandbox, sandbox } from "./sandbox.ts";

/** The package, built once per run of this file. */
let built: Promise<string> | undefined;
function packaged(): Promise<string> {
  built ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "cb-pkg-dist-" });
    const output = join(dir, "cyberbackup");
    // Level 1: the same file format, built in a third of the time.
    await buildPackage(output, { gzipLevel: 1 });
    return output;
  })();
  return built;
}

/** The unpacked folder of the package in `box` (there is only one). */
async function unpacked(box: Sandbox): Promise<string> {
  const dirs = [];
  for await (const entry of Deno.readDir(box.cache)) {
    if (entry.isDirectory) dirs.push(entry.name);
  }
  assert.equal(dirs.length, 1, `one folder in ${box.cache}: ${dirs}`);
  return join(box.cache, dirs[0]);
}

/** Why the package cannot be built here, or undefined when it can. */
async function noMakeself(): Promise<string | undefined> {
  try {
    await new Deno.Command("makeself", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return undefined;
  } catch {
    return "makeself is not installed (apt-get install makeself)";
  }
}

const skipPackage = await noMakeself();
const skipped = skipPackage ? ` (skipped: ${skipPackage})` : "";

Deno.test({
  name:
    `dist/cyberbackup alone, without deno on PATH, unpacks once, runs every command, and unpacks again over a tampered cache${skipped}`,
  ignore: skipPackage !== undefined,
  fn: async (t) => {
    const box = await sandbox(await packaged());
    try {
      await packageSteps(t, box);
    } finally {
      await Deno.remove(box.root, { recursive: true });
      await Deno.remove(join(await packaged(), ".."), { recursive: true });
    }
  },
});

/** The steps of the package test, in the sandbox `box`. */
async function packageSteps(t: Deno.TestContext, box: Sandbox): Promise<void> {
  let dir = "";
  let inode: number | null = null;
  await t.step("the first start unpacks", async () => {
    const first = ok(await run(box, ["--version"]), "first start");
    assert.match(first.stderr, /unpacking into .* \(once\)/);
    dir = await unpacked(box);
    assert.match(dir, /\/cyberbackup\/[0-9a-f]{64}$/);
    inode = (await Deno.stat(dir)).ino;
  });
  await everyCommand(t, box);
  await t.step("later starts run from the same folder", async () => {
    const again = ok(await run(box, ["--version"]), "later start");
    assert.equal(again.stderr, "", "a later start does not unpack");
    assert.equal((await Deno.stat(dir)).ino, inode, "same folder");
  });
  await t.step("starts at the same time unpack once", async () => {
    const xdgCache = join(box.root, "xdg-cache-2");
    await Deno.mkdir(xdgCache);
    const fresh = {
      ...box,
      cache: join(xdgCache, "cyberbackup"),
      env: { ...box.env, XDG_CACHE_HOME: xdgCache },
    };
    const starts = await Promise.all(
      [1, 2, 3].map(() => run(fresh, ["--version"])),
    );
    for (const start of starts) ok(start, "a start at the same time");
    const unpacking = starts.filter((s) => /unpacking/.test(s.stderr));
    assert.equal(unpacking.length, 1, starts.map((s) => s.stderr).join(""));
    await unpacked(fresh);
  });
  await t.step(
    "a changed or missing file in the cache is unpacked again",
    async () => {
      const deno = join(dir, "deno");
      const original = await Deno.readFile(deno);
      const { mtime } = await Deno.stat(deno);
      await Deno.writeFile(deno, new Uint8Array([0]), { append: true });
      // Setting the modification time back does not hide the change.
      await Deno.utime(deno, mtime!, mtime!);
      const changed = ok(await run(box, ["--version"]), "changed deno");
      assert.match(
        changed.stderr,
        /has changed since it was unpacked; unpacking it again/,
      );
      assert.equal(changed.stdout.trim(), `cyberbackup ${denoJson.version}`);
      assertBytesEqual(await Deno.readFile(deno), original);

      const worker = join(dir, "app/server/tcp/worker.ts");
      await Deno.remove(worker);
      const missing = ok(await run(box, ["--version"]), "missing file");
      assert.match(missing.stderr, /unpacking it again/);
      assert.ok((await Deno.stat(worker)).isFile);
    },
  );
}

/** Why the compiled variant cannot run here, or undefined when it can. */
async function noDenort(): Promise<string | undefined> {
  if (Deno.env.get("DENORT_BIN")) return undefined;
  try {
    const response = await fetch("https://dl.deno.land/release-latest.txt", {
      method: "HEAD",
      signal: AbortSignal.timeout(3_000),
    });
    await response.body?.cancel();
    if (response.ok) return undefined;
    return `dl.deno.land answered ${response.status}`;
  } catch (error) {
    return `dl.deno.land unreachable (${(error as Error).message})`;
  }
}

const skipCompiled = await noDenort();
Deno.test({
  name: `the deno compile executable alone runs every command${
    skipCompiled
      ? ` (skipped: no denort: ${skipCompiled}; set DENORT_BIN to run it)`
      : ""
  }`,
  ignore: skipCompiled !== undefined,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "cb-compiled-" });
    const output = join(dir, "cyberbackup");
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "build/compile.ts", "--output", output],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, decoder.decode(stderr));
    const box = await sandbox(output);
    try {
      await everyCommand(t, box);
    } finally {
      await Deno.remove(box.root, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
  },
});
