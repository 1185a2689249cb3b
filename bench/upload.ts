/**
 * Upload benchmark: one large file from the command-line client through the
 * real server over loopback, against the machine's native pipeline
 * (`openssl enc -d -aes-256-cbc | cksum`) on the same data in the same run,
 * and against the native version of the whole job (cksum and encrypt,
 * decrypt, cksum and write); also the server alone, fed the same file
 * pre-encrypted by a light client.
 *
 *   deno run -A bench/upload.ts [--size-mib 1024] [--workers 2] [--runs 3]
 *
 * Each figure is the best of `--runs` runs: on a shared VM the first touch
 * of fresh page-cache memory alone can halve one run's speed.
 * Prints one line per figure: name, value, baseline, ratio.
 * @module
 */
import { parseArgs } from "node:util";
import { encryptedSize } from "../server/protocol/packet_plan.ts";
import { writeRandomFile } from "../tests/e2e/backup_server.ts";
import { startServer, type TestServer } from "../tests/e2e/harness.ts";
import { uploadMany } from "./load.ts";
import { line } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "size-mib": { type: "string", default: "1024" },
    workers: { type: "string", default: "2" },
    runs: { type: "string", default: "3" },
  },
});
const RUNS = Number(values.runs);
/** Largest file the server-alone figure holds in memory (twice, framed). */
const SERVER_ALONE_MAX_BYTES = 2 ** 31;
const SIZE = Number(values["size-mib"]) * 1024 * 1024;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Runs a command to its end; throws with its stderr when it fails. */
async function run(cmd: string, args: string[]): Promise<void> {
  const output = await new Deno.Command(cmd, {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `${cmd} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
}

/** The fastest of RUNS runs of `job`, in MB/s of SIZE bytes. */
async function bestMBs(job: () => Promise<unknown>): Promise<number> {
  let best = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await job();
    best = Math.max(best, SIZE / 1e6 / ((performance.now() - started) / 1000));
  }
  return best;
}

/** Resident set size of a process in bytes, from /proc. */
async function rss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const work = await Deno.makeTempDir({ prefix: "cb-bench-" });
let server: TestServer | undefined;
try {
  const plain = `${work}/payload.bin`;
  await writeRandomFile(plain, SIZE);
  const keyHex = "0123456789abcdef".repeat(4);
  const iv = "0".repeat(32);
  const cipherPath = `${work}/payload.enc`;
  await run("openssl", [
    "enc",
    "-aes-256-cbc",
    "-K",
    keyHex,
    "-iv",
    iv,
    "-in",
    plain,
    "-out",
    cipherPath,
  ]);
  // Both files were just written, so both runs read from the page cache.
  const nativeMBs = await bestMBs(() =>
    run("bash", [
      "-c",
      `openssl enc -d -aes-256-cbc -K ${keyHex} -iv ${iv} -in '${cipherPath}' | cksum`,
    ])
  );
  await Deno.remove(cipherPath);
  // The same work as an upload, natively: checksum and encrypt on one side,
  // decrypt, checksum and write on the other, all in one pipeline.
  const roundTripMBs = await bestMBs(async () => {
    await run("bash", [
      "-c",
      `cksum '${plain}' > /dev/null & ` +
      `openssl enc -aes-256-cbc -K ${keyHex} -iv ${iv} -in '${plain}' | ` +
      `openssl enc -d -aes-256-cbc -K ${keyHex} -iv ${iv} | ` +
      `tee '${work}/stored.bin' | cksum; wait`,
    ]);
    await Deno.remove(`${work}/stored.bin`);
  });

  server = await startServer({
    args: [
      "--workers",
      values.workers!,
    ],
  });
  const pid = server.child.pid;
  const before = await rss(pid);
  let peak = before;
  const sampler = setInterval(async () => {
    peak = Math.max(peak, await rss(pid).catch(() => 0));
  }, 50);

  const clientDir = `${work}/client`;
  await Deno.mkdir(clientDir);
  await Deno.writeTextFile(
    `${clientDir}/transfer.info`,
    `127.0.0.1:${server.port}\nbench\n${plain}\n`,
  );
  // The first run registers (RSA key pair, 1025/1026), later ones reconnect.
  const uploadMBs = await bestMBs(() =>
    run(Deno.execPath(), ["run", "-A", MAIN, "backup", "--dir", clientDir])
  );
  clearInterval(sampler);

  // The server alone: the same bytes encrypted and framed before the clock
  // starts, sent by a light client, so the figure is the server's receive,
  // decrypt, checksum and write. The generator holds the file in memory.
  let serverAloneMBs: number | undefined;
  if (SIZE <= SERVER_ALONE_MAX_BYTES) {
    const data = await Deno.readFile(plain);
    serverAloneMBs = 0;
    for (let attempt = 0; attempt < RUNS; attempt++) {
      const result = await uploadMany(server.port, {
        clients: 1,
        data,
        prefix: `alone-${attempt}`,
      });
      if (result.failed) throw new Error("the pre-encrypted upload failed");
      serverAloneMBs = Math.max(serverAloneMBs, result.megabytesPerSecond);
    }
  }

  line("figure", "value", "baseline", "ratio");
  line(
    `upload ${SIZE / 1024 / 1024} MiB end to end (MB/s)`,
    uploadMBs.toFixed(0),
    nativeMBs.toFixed(0),
    (uploadMBs / nativeMBs).toFixed(2),
  );
  line("  native: openssl -d | cksum (MB/s)", nativeMBs.toFixed(0));
  line(
    "upload vs native full round trip (MB/s)",
    uploadMBs.toFixed(0),
    roundTripMBs.toFixed(0),
    (uploadMBs / roundTripMBs).toFixed(2),
  );
  if (serverAloneMBs !== undefined) {
    line(
      "server alone, pre-encrypted stream (MB/s)",
      serverAloneMBs.toFixed(0),
      nativeMBs.toFixed(0),
      (serverAloneMBs / nativeMBs).toFixed(2),
    );
  } else {
    line("server alone: skipped above 2 GiB (held in memory)", "");
  }
  line(
    "server RSS growth (MiB) vs its target",
    ((peak - before) / 1024 / 1024).toFixed(1),
    "target 128",
    ((peak - before) / (128 * 1024 * 1024)).toFixed(2),
  );
  line(
    "server RSS before / peak (MiB)",
    `${(before / 2 ** 20).toFixed(0)} / ${(peak / 2 ** 20).toFixed(0)}`,
  );
  line("ciphertext bytes on the wire", String(encryptedSize(SIZE)));
} finally {
  await server?.stop();
  await Deno.remove(work, { recursive: true });
}
