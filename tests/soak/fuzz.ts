// deno-lint-ignore-file no-console -- a soak run's output is its report
/**
 * The long protocol fuzz run (issue item 1): one million seeded hostile
 * frames by default at a real server process, then the same checks as
 * tests/e2e/fuzz_test.ts: no oracle violation, no crash, descriptors back
 * to baseline, memory that levels off, the victim untouched, a real client
 * verifying right after.
 *
 *   deno run --allow-all tests/soak/fuzz.ts [--frames 1000000] [--seed 7]
 *
 * Exits 1 when anything failed. Prints one line per figure.
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { cksum } from "../../server/crypto/cksum.ts";
import { ResponseCode } from "../../server/protocol/constants.ts";
import { toHex } from "../../shared/encoding.ts";
import {
  confirmChecksum,
  registerClient,
  sendFrames,
  uploadFrames,
} from "../e2e/harness.ts";
import { runFuzz, summarize } from "./fuzzer.ts";
import { backUpWithClient, readDb, seededBytes } from "./helpers.ts";
import { mib, procStats, settle } from "./proc.ts";
import { startSoakServer } from "./server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    frames: { type: "string", default: "1000000" },
    seed: { type: "string", default: "7" },
    "log-level": { type: "string", default: "info" },
  },
});
const frames = Number(values.frames);
const seed = Number(values.seed);
const problems: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) problems.push(what);
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
};

const server = await startSoakServer({
  args: ["--workers", "2", "--log-level", values["log-level"]!],
  expectedErrors: [/Security violation/],
});
// Interrupted: take the server down too rather than leave it running.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    server.kill().finally(() => Deno.exit(130));
  });
}
try {
  const pid = server.pid;
  const victim = await registerClient(server.port, "crown");
  const jewels = seededBytes(seed, 150_000);
  const received = await sendFrames(
    victim,
    uploadFrames(victim, "jewels.bin", jewels),
  );
  const ack = await confirmChecksum(victim, "jewels.bin");
  check(
    received?.code === ResponseCode.FILE_RECEIVED &&
      ack?.code === ResponseCode.ACK,
    "victim stored a verified file",
  );
  victim.raw.close();
  const idle = await settle(pid, () => false, 500);
  const warm = await runFuzz({
    port: server.port,
    seed: seed - 1,
    frames: 5_000,
    victim,
  });
  const baseline = await settle(pid, (s) => s.fds <= idle.fds);
  console.log(
    `baseline after ${warm.frames} warm-up frames: ${baseline.fds} fds, VmRSS ${
      mib(baseline.rssKiB)
    } MiB (idle ${idle.fds} fds, ${mib(idle.rssKiB)} MiB)`,
  );
  const samples: { frames: number; rssKiB: number }[] = [];
  let next = 100_000;
  const report = await runFuzz({
    port: server.port,
    seed,
    frames,
    victim,
    onProgress: (r) => {
      if (r.frames < next) return;
      next += 100_000;
      procStats(pid).then((s) => {
        samples.push({ frames: r.frames, rssKiB: s.rssKiB });
        console.log(
          `${r.frames} frames, ${(r.elapsedMs / 1000).toFixed(0)} s, ${
            (r.frames / (r.elapsedMs / 1000)).toFixed(0)
          } frames/s, ${r.connections} connections, failures ${r.failures.length}; server ${s.fds} fds, VmRSS ${
            mib(s.rssKiB)
          } MiB, ${s.threads} threads`,
        );
      });
    },
  });
  console.log(summarize(report));
  console.log(`kinds: ${JSON.stringify(report.kinds)}`);
  for (const failure of report.failures.slice(0, 20)) console.log(failure);
  check(report.frames >= frames, `${report.frames} frames sent`);
  check(
    report.failures.length === 0,
    "every frame answered as the protocol says",
  );

  const after = await settle(pid, (s) => s.fds <= baseline.fds);
  check(
    after.fds <= baseline.fds,
    `server fds back to baseline: ${after.fds} (baseline ${baseline.fds})`,
  );
  const half = samples.filter((s) => s.frames >= frames / 2);
  const growth = half.length > 1
    ? half[half.length - 1].rssKiB - half[0].rssKiB
    : 0;
  check(
    growth < 64 * 1024,
    `VmRSS ${mib(after.rssKiB)} MiB at the end (baseline ${
      mib(baseline.rssKiB)
    } MiB); growth over the second half ${mib(growth)} MiB`,
  );
  let exited = false;
  await Promise.race([
    server.child.status.then(() => exited = true),
    new Promise((resolve) => setTimeout(resolve, 10)),
  ]);
  check(!exited, "the server process is still running");
  const unexpected = server.errorLines();
  check(
    unexpected.length === 0,
    `no unexpected error lines (${server.errorCount()} security violations logged)`,
  );
  for (const line of unexpected.slice(0, 10)) console.log(line);
  const temps = [
    ...Deno.readDirSync(join(server.dataDir, "received_files", ".tmp")),
  ];
  check(temps.length === 0, "no temporary file left");
  const stored = await Deno.readFile(
    join(
      server.dataDir,
      "received_files",
      toHex(victim.clientId),
      "jewels.bin",
    ),
  );
  const [row] = readDb<{ Checksum: number }>(
    server.dataDir,
    "SELECT Checksum FROM files WHERE ID = ?",
    victim.clientId,
  );
  check(
    cksum(stored) === cksum(jewels) && row?.Checksum === cksum(jewels),
    "the victim's verified copy is intact",
  );
  await backUpWithClient(server, {
    user: "after-the-soak",
    fileName: "report.pdf",
    data: seededBytes(seed + 1, 1_000_000),
  });
  check(true, "a real client verified an upload right after");
} catch (error) {
  problems.push((error as Error).message);
  console.log(`FAIL ${(error as Error).stack}`);
} finally {
  await server.stop();
}
console.log(
  problems.length ? `${problems.length} problems` : "all checks passed",
);
Deno.exit(problems.length ? 1 : 0);
