/**
 * Server-side render time of every portal page, through Hono's app.request
 * (no sockets), with 10,000 clients and N file rows and N transfers (100,000
 * by default). The database is built only through the server's own API
 * (`Database`: registrations, key exchanges, transfers, verified files), so
 * its statistics are whatever the server itself keeps: nothing else is run.
 * Prints one line per page: median ms, p95 ms, the 100 ms target, p95/target.
 *
 *     deno run -A bench/portal.ts [--files N] [--batch ROWS_PER_TRANSACTION]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { makeFixture, TestBrowser } from "../tests/portal/fixture.ts";
import type { Database } from "../server/storage/database.ts";
import { toHex } from "../shared/encoding.ts";
import { createOps } from "../server/ops/runtime.ts";
import { print } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "100000" },
    batch: { type: "string", default: "10000" },
  },
});
const CLIENTS = 10_000;
const FILES = Number(values.files);
const TRANSFERS = FILES;
const TARGET_MS = 100;
const RUNS = 25;
/**
 * Rows written per transaction. Only the seeding time depends on it (each
 * commit writes every index page it touched); the database is the same.
 */
const BATCH = Number(values.batch);

/** Writes `count` rows through `write`, BATCH per transaction. */
function batched(db: Database, count: number, write: (i: number) => void) {
  for (let start = 0; start < count; start += BATCH) {
    db.transaction(() => {
      for (let i = start; i < Math.min(count, start + BATCH); i++) write(i);
    });
  }
}

function seed(db: Database): void {
  const t0 = performance.now();
  // Only to save time: with SQLite's default 2 MiB page cache, a million
  // inserts re-read index pages terabytes over. The cache holds no data of
  // its own; it goes back to the server's setting before anything is timed.
  const cache = db.handle.prepare("PRAGMA cache_size").get()!.cache_size;
  db.handle.exec("PRAGMA cache_size = -1048576");
  const ids: Uint8Array[] = [];
  const base = Date.UTC(2024, 0, 1);
  const at = (ms: number) => new Date(ms).toISOString();
  const publicKey = new Uint8Array(160);
  const aesKey = new Uint8Array(32);
  batched(db, CLIENTS, (i) => {
    const id = new Uint8Array(16);
    new DataView(id.buffer).setUint32(0, (i * 2654435761) >>> 0);
    new DataView(id.buffer).setUint32(12, i);
    ids.push(id);
    db.clients.create(
      id,
      `client-${String(i).padStart(5, "0")}`,
      at(base + i * 1000),
    );
    db.clients.setKeys(
      id,
      { publicKey, aesKey },
      at(base + ((i * 7919) % 31_536_000) * 1000),
    );
  });
  const outcomes = [
    "verified",
    "verified",
    "verified",
    "verified",
    "failed",
    "aborted",
  ] as const;
  batched(db, TRANSFERS, (i) => {
    const start = base + i * 30_000;
    const transfer = db.transfers.start({
      clientId: ids[i % CLIENTS],
      fileName: `file-${i}.bin`,
      transport: i % 10 === 0 ? "http" : "tcp",
      size: 1e6,
      attempt: 1,
    }, at(start));
    db.transfers.finish(
      transfer,
      { outcome: outcomes[i % 6], bytes: 1e6 },
      at(start + 2000),
    );
  });
  batched(db, FILES, (i) => {
    const clientId = ids[i % CLIENTS];
    const fileName = `file-${i}.bin`;
    db.files.recordVerified({
      clientId,
      fileName,
      pathName: `received_files/${toHex(clientId)}/${fileName}`,
      size: (i * 104729) % 50_000_000,
      checksum: i,
    }, at(base + i * 60_000));
  });
  db.handle.exec(`PRAGMA cache_size = ${cache}`);
  print(
    `# seeded ${CLIENTS} clients, ${FILES} files, ${TRANSFERS} transfers through the server's Database API in ${
      (performance.now() - t0).toFixed(0)
    } ms`,
  );
}

const f = await makeFixture({
  seed: (_, database) => seed(database),
  // As the server runs it: pages read the watcher's last evaluation.
  ops: (database) => {
    const ops = createOps(database, {
      version: "bench",
      tickMs: 3600_000,
      dataDir: Deno.cwd(),
      minFreeBytes: 0,
    });
    const runs = Array.from({ length: 5 }, () => {
      const t0 = performance.now();
      ops.evaluate();
      return performance.now() - t0;
    }).sort((a, b) => a - b);
    print(
      `# one watcher evaluation of ${CLIENTS} clients: median ${
        runs[2].toFixed(0)
      } ms, max ${
        runs[4].toFixed(0)
      } ms (once per --ops-interval, in the main thread)`,
    );
    return ops;
  },
});
const browser = new TestBrowser(f.app);
await browser.signIn();
const someClient =
  (f.db.prepare("SELECT lower(hex(ID)) AS id FROM clients LIMIT 1 OFFSET 5000")
    .get() as { id: string }).id;
f.stats.apply({
  type: "transfer-start",
  transfer: "bench",
  client: someClient,
  name: "bench",
  file: "bench.bin",
  total: 1e9,
  attempt: 1,
});
for (let i = 0, bytes = 0; i < 300; i++) {
  bytes += 1000 * i;
  f.stats.apply({ type: "transfer-progress", transfer: "bench", bytes });
}

const PAGES = [
  "/",
  "/clients",
  "/clients?page=150",
  "/clients?sort=lastSeen&dir=desc",
  "/clients?sort=created&dir=asc&page=100",
  "/clients?q=client-12",
  `/clients?q=${someClient.slice(0, 6)}`,
  `/clients/${someClient}`,
  "/files",
  "/files?page=1500",
  "/files?sort=size&dir=desc",
  "/files?sort=name&dir=asc",
  "/files?state=unverified",
  "/files?state=verified&page=1000",
  `/files?client=${someClient}`,
  "/files?client=client-0123",
  "/files?q=file-9999",
  "/files?q=9999&sort=size&dir=desc",
  "/transfers",
  "/transfers?page=1500",
  "/transfers?outcome=failed",
  "/clients?state=attention",
  "/clients?sort=state",
  "/charts",
  "/metrics",
  "/transfers?outcome=aborted&page=200",
  `/transfers?client=${someClient}`,
  "/transfers?client=client-0123",
  "/logs",
  "/settings",
  "/api/v1/status",
  "/metrics",
  "/health",
];

print(`# page: median ms, p95 ms, target ${TARGET_MS} ms, p95 / target`);
let worst = 0;
for (const path of PAGES) {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    const t0 = performance.now();
    const response = await browser.request(path);
    await response.arrayBuffer();
    const ms = performance.now() - t0;
    if (response.status !== 200) {
      throw new Error(`${path} answered ${response.status}`);
    }
    if (i >= 3) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const p95 = times[Math.floor(times.length * 0.95)];
  worst = Math.max(worst, p95);
  print(
    `${path}: ${median.toFixed(2)} ms, p95 ${
      p95.toFixed(2)
    } ms, target ${TARGET_MS} ms, ${(p95 / TARGET_MS).toFixed(3)}`,
  );
}
print(
  `worst p95: ${worst.toFixed(2)} ms, target ${TARGET_MS} ms, ${
    (worst / TARGET_MS).toFixed(3)
  }`,
);
await f.close();
