/**
 * Restore benchmark: one file uploaded with `cyberbackup backup` and then
 * restored with `cyberbackup restore` through the real server over
 * loopback, both as separate processes, in the same run on the same file;
 * with the RSS growth of the server and of the restoring client.
 *
 *   deno run -A bench/restore.ts [--size-mib 1024] [--runs 3] [--workers 2]
 *     [--out DIR]   (where the restored copy goes; e.g. /dev/shm when the
 *                    disk has no room for a third copy of a 4 GiB file)
 *
 * Each speed is the best of `--runs` runs (the first touch of fresh
 * page-cache memory alone can halve one run on a shared VM). The server's
 * RSS growth is its peak during the restores over its RSS before them; the
 * client's is the peak of a restoring client over the peak of the same
 * command that only lists (same start-up, same key exchange, no transfer).
 * @module
 */
import { parseArgs } from "node:util";
import { sameFile, writeRandomFile } from "../tests/e2e/backup_server.ts";
import { startServer, type TestServer } from "../tests/e2e/harness.ts";
import { line } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "size-mib": { type: "string", default: "1024" },
    workers: { type: "string", default: "2" },
    runs: { type: "string", default: "3" },
    out: { type: "string" },
  },
});
const RUNS = Number(values.runs);
const SIZE = Number(values["size-mib"]) * 1024 * 1024;
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const MiB = 2 ** 20;

/** Resident set size of a process in bytes, from /proc (0 once it is gone). */
async function rss(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Runs the CLI with `args`; its time in seconds and its peak RSS. */
async function cli(args: string[]): Promise<{ seconds: number; peak: number }> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let peak = 0;
  const sampler = setInterval(async () => {
    peak = Math.max(peak, await rss(child.pid));
  }, 20);
  const output = await child.output();
  clearInterval(sampler);
  if (!output.success) {
    throw new Error(
      `cyberbackup ${args[0]} failed: ${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
  return { seconds: (performance.now() - started) / 1000, peak };
}

const work = await Deno.makeTempDir({ prefix: "cb-bench-restore-" });
let server: TestServer | undefined;
/** The folder made under --out, removed at the end. */
let outside: string | undefined;
try {
  const plain = `${work}/payload.bin`;
  await writeRandomFile(plain, SIZE);
  // The server's data inside `work`, so the run leaves nothing behind.
  await Deno.mkdir(`${work}/data`);
  server = await startServer({
    dataDir: `${work}/data`,
    args: ["--workers", values.workers!],
  });
  const clientDir = `${work}/client`;
  outside = values.out
    ? await Deno.makeTempDir({ dir: values.out, prefix: "cb-bench-out-" })
    : undefined;
  const out = outside ?? `${work}/out`;
  await Deno.mkdir(clientDir);
  if (!values.out) await Deno.mkdir(out);
  await Deno.writeTextFile(
    `${clientDir}/transfer.info`,
    `127.0.0.1:${server.port}\nbench\n${plain}\n`,
  );
  let upload = Infinity;
  for (let i = 0; i < RUNS; i++) {
    upload = Math.min(
      upload,
      (await cli(["backup", "--dir", clientDir])).seconds,
    );
  }
  const list = await cli(["restore", "--dir", clientDir, "--list"]);

  const pid = server.child.pid;
  const serverBefore = await rss(pid);
  let serverPeak = serverBefore;
  const sampler = setInterval(async () => {
    serverPeak = Math.max(serverPeak, await rss(pid));
  }, 20);
  let restore = Infinity;
  let clientPeak = 0;
  for (let i = 0; i < RUNS; i++) {
    const run = await cli([
      "restore",
      "--dir",
      clientDir,
      "--to",
      out,
      "--overwrite",
    ]);
    restore = Math.min(restore, run.seconds);
    clientPeak = Math.max(clientPeak, run.peak);
  }
  clearInterval(sampler);
  if (!await sameFile(plain, `${out}/payload.bin`)) {
    throw new Error("the restored file differs from the original");
  }

  const mbs = (seconds: number) => SIZE / 1e6 / seconds;
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  line("figure", "value", "baseline", "ratio");
  line(
    `restore ${SIZE / MiB} MiB vs upload, CLI (MB/s)`,
    mbs(restore).toFixed(0),
    mbs(upload).toFixed(0),
    (mbs(restore) / mbs(upload)).toFixed(2),
  );
  line(
    "server RSS growth in restore (MiB) vs target",
    mib(serverPeak - serverBefore),
    "target 128",
    ((serverPeak - serverBefore) / (128 * MiB)).toFixed(2),
  );
  line(
    "client RSS growth over --list (MiB) vs target",
    mib(clientPeak - list.peak),
    "target 128",
    ((clientPeak - list.peak) / (128 * MiB)).toFixed(2),
  );
  line(
    "server RSS before / peak (MiB)",
    `${mib(serverBefore)} / ${mib(serverPeak)}`,
  );
  line(
    "client peak RSS: --list / restore (MiB)",
    `${mib(list.peak)} / ${mib(clientPeak)}`,
  );
} finally {
  await server?.stop();
  await Deno.remove(work, { recursive: true });
  if (outside) await Deno.remove(outside, { recursive: true });
}
