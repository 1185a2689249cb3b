/**
 * Concurrency benchmark against the real server process on loopback:
 * 1,000 open connections held while 100 clients upload 16 MiB each, then
 * registrations plus key exchanges per second with 50 clients at once.
 *
 *   deno run -A bench/concurrency.ts [--idle 1000] [--uploads 100] [--mib 16] [--workers 2]
 *
 * Prints one line per figure: name, value, baseline, ratio.
 * @module
 */
import { parseArgs } from "node:util";
import {
  RawClient,
  registerClient,
  startServer,
  uploadFile,
} from "../tests/e2e/harness.ts";
import { cksum } from "../server/crypto/cksum.ts";
import { generateKeyPair } from "../server/crypto/rsa_oaep.ts";
import { RequestCode, ResponseCode } from "../server/protocol/constants.ts";
import { line } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    idle: { type: "string", default: "1000" },
    uploads: { type: "string", default: "100" },
    mib: { type: "string", default: "16" },
    workers: { type: "string", default: "2" },
    registrations: { type: "string", default: "500" },
  },
});
const IDLE = Number(values.idle);
const UPLOADS = Number(values.uploads);
const SIZE = Number(values.mib) * 1024 * 1024;
const REGISTRATIONS = Number(values.registrations);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const server = await startServer({
  args: [
    "--workers",
    values.workers!,
    "--max-connections",
    String(IDLE + UPLOADS + 100),
    "--idle-timeout",
    "10m",
  ],
});
const idle: RawClient[] = [];
try {
  for (let i = 0; i < IDLE; i++) {
    idle.push(await RawClient.connect(server.port));
  }
  line(
    "open idle connections held",
    String(idle.length),
    String(IDLE),
    (idle.length / IDLE).toFixed(2),
  );

  const data = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i += 65536) {
    crypto.getRandomValues(data.subarray(i, Math.min(SIZE, i + 65536)));
  }
  const expected = cksum(data);
  const clients = await Promise.all(
    Array.from(
      { length: UPLOADS },
      (_, i) => registerClient(server.port, `load-${i}`),
    ),
  );
  const started = performance.now();
  const times = await Promise.all(clients.map(async (client, i) => {
    const t = performance.now();
    const received = await uploadFile(client, `f${i}.bin`, data, 1024 * 1024);
    const ack = await client.raw.request({
      code: RequestCode.CRC_OK,
      clientId: client.clientId,
      fileName: `f${i}.bin`,
    });
    client.raw.close();
    const ok = received?.code === ResponseCode.FILE_RECEIVED &&
      received.checksum === expected && ack?.code === ResponseCode.ACK;
    return ok ? performance.now() - t : NaN;
  }));
  const wall = (performance.now() - started) / 1000;
  const failures = times.filter(Number.isNaN).length;
  const sorted = times.filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  line(
    "simultaneous uploads verified",
    String(UPLOADS - failures),
    String(UPLOADS),
    ((UPLOADS - failures) / UPLOADS).toFixed(2),
  );
  line("  total throughput (MB/s)", (UPLOADS * SIZE / 1e6 / wall).toFixed(0));
  line("  upload time p50 (ms)", percentile(sorted, 0.5).toFixed(0));
  line("  upload time p99 (ms)", percentile(sorted, 0.99).toFixed(0));

  // Key pairs are made up front: the figure is the server's, not this process's keygen.
  const keys = Array.from({ length: 50 }, () => generateKeyPair());
  const regStarted = performance.now();
  let registered = 0;
  await Promise.all(Array.from({ length: 50 }, async (_, lane) => {
    for (let i = lane; i < REGISTRATIONS; i += 50) {
      const client = await registerClient(server.port, `reg-${i}`, keys[lane]);
      client.raw.close();
      registered++;
    }
  }));
  const regSeconds = (performance.now() - regStarted) / 1000;
  line(
    "registrations + key exchanges /s (50 at once)",
    (registered / regSeconds).toFixed(0),
  );
  const stillOpen = await Promise.all(
    idle.slice(0, 10).map(async (c) => {
      const probe = await c.request({
        code: RequestCode.RECONNECT,
        clientId: new Uint8Array(16),
        name: "nobody",
      });
      return probe?.code === ResponseCode.RECONNECT_REJECTED;
    }),
  );
  line(
    "idle connections still served afterwards",
    String(stillOpen.filter(Boolean).length),
    "10",
  );
} finally {
  for (const c of idle) c.close();
  await server.stop();
}
