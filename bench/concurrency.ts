/**
 * Concurrency benchmark against the real server process on loopback:
 * 1,000 open connections held while 100 clients upload 16 MiB each, then
 * registrations plus key exchanges per second with 50 clients at once.
 * The connections held are what the server counts itself (its
 * `cyberbackup_connections_active` gauge on /metrics), and each of them is
 * probed at the end: it must still complete a registration (1025).
 *
 *   deno run -A bench/concurrency.ts [--idle 1000] [--uploads 100] [--mib 16] [--workers 2]
 *
 * Prints one line per figure: name, value, baseline, ratio.
 * @module
 */
import { parseArgs } from "node:util";
import { generateKeyPair } from "../server/crypto/rsa_oaep.ts";
import { RequestCode, ResponseCode } from "../server/protocol/constants.ts";
import {
  RawClient,
  registerClient,
  startServer,
} from "../tests/e2e/harness.ts";
import { percentile, randomBytes, uploadMany } from "./load.ts";
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
const REGISTRATIONS = Number(values.registrations);

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

/** The server's own count of open protocol connections. */
async function activeConnections(): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${server.httpPort}/metrics`);
  const text = await response.text();
  const value = /^cyberbackup_connections_active (\d+)$/m.exec(text)?.[1];
  if (value === undefined) throw new Error("No connection gauge in /metrics");
  return Number(value);
}

/** Polls the gauge until it reaches `want` or 10 s pass; returns the last value. */
async function gaugeReaches(want: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const active = await activeConnections();
    if (active >= want || Date.now() > deadline) return active;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

try {
  for (let i = 0; i < IDLE; i++) {
    idle.push(await RawClient.connect(server.port));
  }
  // Workers report connections to the main thread a moment after accepting.
  const held = await gaugeReaches(IDLE);
  line(
    "idle connections the server holds (its gauge)",
    String(held),
    `${IDLE} opened`,
    (held / IDLE).toFixed(2),
  );

  const load = await uploadMany(server.port, {
    clients: UPLOADS,
    data: randomBytes(Number(values.mib) * 1024 * 1024),
    prefix: "load",
  });
  line(
    "simultaneous uploads verified",
    String(load.verified),
    String(UPLOADS),
    (load.verified / UPLOADS).toFixed(2),
  );
  line("  total throughput (MB/s)", load.megabytesPerSecond.toFixed(0));
  line("  upload time p50 (ms)", percentile(load.times, 0.5).toFixed(0));
  line("  upload time p99 (ms)", percentile(load.times, 0.99).toFixed(0));

  // Key pairs are made up front: the figure is the server's, not this process's keygen.
  const keys = Array.from({ length: 50 }, () => generateKeyPair());
  const started = performance.now();
  let registered = 0;
  await Promise.all(keys.map(async (pair, lane) => {
    for (let i = lane; i < REGISTRATIONS; i += keys.length) {
      const client = await registerClient(server.port, `reg-${i}`, pair);
      client.raw.close();
      registered++;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  line(
    "registrations + key exchanges /s (50 at once)",
    (registered / seconds).toFixed(0),
  );
  // Every idle connection, after all that, still completes a registration.
  const stillHeld = await activeConnections();
  const answered = await Promise.all(
    idle.map(async (c, i) => {
      const answer = await c.request({
        code: RequestCode.REGISTER,
        clientId: new Uint8Array(16),
        name: `idle-${i}`,
      }).catch(() => null);
      return answer?.code === ResponseCode.REGISTER_OK;
    }),
  );
  const registeredIdle = answered.filter(Boolean).length;
  line(
    "idle connections that then register (1025 → 1600)",
    String(registeredIdle),
    `${IDLE} opened`,
    (registeredIdle / IDLE).toFixed(2),
  );
  line("  server gauge just before the probe", String(stillHeld));
} finally {
  for (const c of idle) c.close();
  await server.stop();
}
