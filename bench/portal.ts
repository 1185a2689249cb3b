/**
 * Server-side render time of every portal page with 10,000 clients, 100,000
 * file rows and 100,000 transfers, through Hono's app.request (no sockets).
 * Prints one line per page: median ms, budget (100 ms), ratio; then p95.
 *
 *     deno run -A bench/portal.ts
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { makeFixture, TestBrowser } from "../tests/portal/fixture.ts";
import { toHex } from "../shared/encoding.ts";

const encoder = new TextEncoder();
function print(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}

const CLIENTS = 10_000;
const FILES = 100_000;
const TRANSFERS = 100_000;
const BUDGET_MS = 100;
const RUNS = 25;

function seed(db: DatabaseSync): void {
  const t0 = performance.now();
  const ids: Uint8Array[] = [];
  const base = Date.UTC(2024, 0, 1);
  db.exec("BEGIN");
  const client = db.prepare(
    "INSERT INTO clients (ID, Name, PublicKey, LastSeen, CreatedAt) VALUES (?, ?, ?, ?, ?)",
  );
  for (let i = 0; i < CLIENTS; i++) {
    const id = new Uint8Array(16);
    new DataView(id.buffer).setUint32(0, (i * 2654435761) >>> 0);
    new DataView(id.buffer).setUint32(12, i);
    ids.push(id);
    const seen = new Date(base + ((i * 7919) % 31_536_000) * 1000)
      .toISOString();
    client.run(
      id,
      `client-${String(i).padStart(5, "0")}`,
      new Uint8Array(160),
      seen,
      new Date(base + i * 1000).toISOString(),
    );
  }
  const file = db.prepare(
    "INSERT INTO files (ID, FileName, PathName, Verified, Size, Checksum, StoredAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  for (let i = 0; i < FILES; i++) {
    const id = ids[i % CLIENTS];
    const name = `file-${i}.bin`;
    file.run(
      id,
      name,
      `received_files/${toHex(id)}/${name}`,
      i % 13 === 0 ? 0 : 1,
      (i * 104729) % 50_000_000,
      i,
      new Date(base + i * 60_000).toISOString(),
    );
  }
  const transfer = db.prepare(
    "INSERT INTO transfers (ClientID, FileName, StartedAt, FinishedAt, Outcome, Bytes, Size, Attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const outcomes = [
    "verified",
    "verified",
    "verified",
    "verified",
    "failed",
    "aborted",
  ];
  for (let i = 0; i < TRANSFERS; i++) {
    const start = base + i * 30_000;
    transfer.run(
      ids[i % CLIENTS],
      `file-${i}.bin`,
      new Date(start).toISOString(),
      new Date(start + 2000).toISOString(),
      outcomes[i % 6],
      1e6,
      1e6,
      1 + (i % 3),
    );
  }
  db.exec("COMMIT");
  db.exec("ANALYZE");
  print(
    `# seeded ${CLIENTS} clients, ${FILES} files, ${TRANSFERS} transfers in ${
      (performance.now() - t0).toFixed(0)
    } ms`,
  );
}

const f = await makeFixture({ seed });
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
  "/files?q=file-9999",
  "/transfers",
  "/transfers?page=1500",
  "/transfers?outcome=failed",
  "/transfers?outcome=aborted&page=200",
  `/transfers?client=${someClient}`,
  "/logs",
  "/settings",
  "/api/v1/status",
  "/metrics",
  "/health",
];

print("# page: median ms, budget ms, ratio (p95 ms)");
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
    `${path}: ${median.toFixed(2)} ms, ${BUDGET_MS} ms, ${
      (median / BUDGET_MS).toFixed(3)
    } (p95 ${p95.toFixed(2)} ms)`,
  );
}
print(
  `worst p95: ${worst.toFixed(2)} ms, ${BUDGET_MS} ms, ${
    (worst / BUDGET_MS).toFixed(3)
  }`,
);
await f.close();
