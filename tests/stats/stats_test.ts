import assert from "node:assert/strict";
import { Stats } from "../../server/stats/stats.ts";
import { Database } from "../../server/storage/database.ts";

function clock(start = 1_700_000_000_000) {
  const c = { now: start, tick: (ms: number) => (c.now += ms) };
  return c;
}

Deno.test("Stats counts active connections, their peak and the free slots", () => {
  const stats = new Stats({ maxConnections: () => 3 });
  stats.apply({ type: "connect", conn: "a", remote: "1.1.1.1:1" });
  stats.apply({ type: "connect", conn: "b", remote: "1.1.1.2:1" });
  stats.apply({ type: "disconnect", conn: "a" });
  stats.apply({ type: "disconnect", conn: "a" });
  const c = stats.snapshot().connections;
  assert.deepEqual(c, {
    active: 1,
    max: 3,
    available: 2,
    peak: 2,
    total: 2,
    refused: 0,
  });
});

Deno.test("Stats reads the connection limit each time, so run-time changes show at once", () => {
  let max = 10;
  const stats = new Stats({ maxConnections: () => max });
  max = 2;
  assert.equal(stats.snapshot().connections.max, 2);
});

Deno.test("Stats follows a transfer from start through progress to its outcome", () => {
  const c = clock();
  const stats = new Stats({ maxConnections: () => 10, now: () => c.now });
  stats.apply({
    type: "transfer-start",
    transfer: "t",
    client: "ab",
    name: "alice",
    file: "f.bin",
    total: 1000,
    attempt: 1,
  });
  stats.apply({ type: "transfer-progress", transfer: "t", bytes: 400 });
  let s = stats.snapshot();
  assert.equal(s.transfers.active.length, 1);
  assert.equal(s.transfers.active[0].bytes, 400);
  assert.equal(s.transfers.active[0].total, 1000);
  c.tick(2500);
  stats.apply({
    type: "transfer-end",
    transfer: "t",
    client: "ab",
    file: "f.bin",
    outcome: "verified",
    bytes: 1000,
  });
  s = stats.snapshot();
  assert.equal(s.transfers.active.length, 0);
  assert.equal(s.transfers.verified, 1);
  assert.equal(s.activity[0].kind, "verified");
  assert.equal(
    s.activity[0].text,
    "alice: f.bin verified (1000 B sent in 2.5 s)",
  );
});

Deno.test("Stats counts failed and aborted transfers without touching verified files", () => {
  const stats = new Stats({ maxConnections: () => 1 });
  stats.apply({
    type: "transfer-end",
    transfer: "x",
    client: "ab",
    file: "a",
    outcome: "failed",
    bytes: 0,
  });
  stats.apply({
    type: "transfer-end",
    transfer: "y",
    client: "ab",
    file: "b",
    outcome: "aborted",
    bytes: 0,
  });
  const s = stats.snapshot();
  assert.deepEqual([s.transfers.failed, s.transfers.aborted, s.verifiedFiles], [
    1,
    1,
    0,
  ]);
});

/** Starts transfer "t" and returns a function that reports `n` more bytes of it. */
function feeder(stats: Stats): (n: number) => void {
  stats.apply({
    type: "transfer-start",
    transfer: "t",
    client: "ab",
    name: "a",
    file: "f",
    total: 1_000_000,
    attempt: 1,
  });
  let bytes = 0;
  return (n) => {
    bytes += n;
    stats.apply({ type: "transfer-progress", transfer: "t", bytes });
  };
}

Deno.test("Stats sums received bytes into per-second throughput over five minutes", () => {
  const c = clock(1_700_000_000_000);
  const stats = new Stats({ maxConnections: () => 1, now: () => c.now });
  const receive = feeder(stats);
  receive(100);
  receive(50);
  c.tick(1000);
  receive(7);
  const s = stats.snapshot();
  assert.equal(s.throughput.length, 300);
  assert.deepEqual(s.throughput.slice(-2), [150, 7]);
  assert.equal(s.bytesReceived, 157);
  c.tick(299_000);
  assert.deepEqual(
    stats.snapshot().throughput.slice(0, 2),
    [7, 0],
    "the oldest second shown is the one after the first",
  );
  c.tick(1000);
  assert.ok(stats.snapshot().throughput.every((v) => v === 0));
});

Deno.test("Stats counts errors by response code and logs registrations", () => {
  const stats = new Stats({ maxConnections: () => 1 });
  const refused = { type: "error", cause: "refused" } as const;
  stats.apply({ ...refused, response: 1607, message: "bad packet" });
  stats.apply({ ...refused, response: 1607, message: "bad packet" });
  stats.apply({ ...refused, response: 1601, message: "name taken" });
  stats.apply({ type: "registered", client: "ab", name: "bob" });
  stats.apply({
    type: "refused",
    remote: "9.9.9.9:1",
    reason: "too many connections",
  });
  const s = stats.snapshot();
  assert.deepEqual(s.errors, { "1607": 2, "1601": 1 });
  assert.equal(s.connections.refused, 1);
  assert.deepEqual(s.activity.map((a) => a.kind), [
    "refused",
    "registered",
    "error",
    "error",
    "error",
  ]);
});

Deno.test("Stats keeps only the newest activity items", () => {
  const stats = new Stats({ maxConnections: () => 1, activityLength: 3 });
  for (let i = 0; i < 5; i++) {
    stats.apply({ type: "registered", client: "ab", name: `c${i}` });
  }
  assert.deepEqual(stats.snapshot().activity.map((a) => a.text), [
    "c4 registered",
    "c3 registered",
    "c2 registered",
  ]);
});

Deno.test("Stats notifies subscribers until they unsubscribe, and on resync only when counts change", () => {
  const stats = new Stats({ maxConnections: () => 1 });
  let calls = 0;
  const receive = feeder(stats);
  const stop = stats.subscribe(() => calls++);
  receive(1);
  stats.resync({ registeredClients: 0, verifiedFiles: 0 });
  stats.resync({ registeredClients: 5, verifiedFiles: 2 });
  stop();
  receive(1);
  assert.equal(calls, 2);
  assert.equal(stats.snapshot().registeredClients, 5);
});

Deno.test("Stats snapshots are copies that later events do not change", () => {
  const stats = new Stats({ maxConnections: () => 1 });
  stats.apply({
    type: "transfer-start",
    transfer: "t",
    client: "ab",
    name: "a",
    file: "f",
    total: 10,
    attempt: 1,
  });
  const before = stats.snapshot();
  stats.apply({ type: "transfer-progress", transfer: "t", bytes: 9 });
  assert.equal(before.transfers.active[0].bytes, 0);
  assert.deepEqual(JSON.parse(JSON.stringify(before)), before);
});

Deno.test("Stats counts the growth of transfer progress as received bytes", () => {
  const stats = new Stats({ maxConnections: () => 1 });
  const receive = feeder(stats);
  receive(30);
  receive(40);
  assert.equal(stats.snapshot().bytesReceived, 70);
  // A repeated progress figure adds nothing.
  stats.apply({ type: "transfer-progress", transfer: "t", bytes: 70 });
  assert.equal(stats.snapshot().bytesReceived, 70);
});

/** A real database file with one registered client, removed afterwards. */
async function withDatabase(
  fn: (db: Database, client: Uint8Array) => void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cb-stats-" });
  const db = Database.open(`${dir}/defensive.db`);
  try {
    const client = crypto.getRandomValues(new Uint8Array(16));
    db.clients.create(client, "alice", new Date().toISOString());
    fn(db, client);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Records a verified upload of `fileName` as the session does, then reports it. */
function verifiedUpload(
  stats: Stats,
  db: Database,
  client: Uint8Array,
  fileName: string,
): void {
  const now = new Date().toISOString();
  const id = db.transfers.start({
    clientId: client,
    fileName,
    transport: "tcp",
    size: 48,
    attempt: 1,
  }, now);
  db.files.recordVerified({
    clientId: client,
    fileName,
    pathName: `received_files/x/${fileName}`,
    size: 42,
    checksum: 1,
  }, now);
  db.transfers.finish(id, { outcome: "verified", bytes: 48 }, now);
  stats.apply({
    type: "transfer-end",
    transfer: String(id),
    client: "ab",
    file: fileName,
    outcome: "verified",
    bytes: 48,
  });
}

Deno.test("Stats counts a verified re-upload of a stored name as the same file, without a resync", () =>
  withDatabase((db, client) => {
    const stats = new Stats({
      maxConnections: () => 1,
      stored: () => db.status.counts(),
    });
    assert.deepEqual(
      [stats.snapshot().registeredClients, stats.snapshot().verifiedFiles],
      [1, 0],
    );
    verifiedUpload(stats, db, client, "a.txt");
    verifiedUpload(stats, db, client, "b.txt");
    assert.equal(stats.snapshot().verifiedFiles, 2);
    verifiedUpload(stats, db, client, "a.txt");
    verifiedUpload(stats, db, client, "b.txt");
    const s = stats.snapshot();
    assert.equal(s.verifiedFiles, 2);
    assert.equal(s.transfers.verified, 4, "four uploads did succeed");
    const other = crypto.getRandomValues(new Uint8Array(16));
    db.clients.create(other, "bob", new Date().toISOString());
    stats.apply({ type: "registered", client: "cd", name: "bob" });
    assert.equal(stats.snapshot().registeredClients, 2);
  }));

Deno.test("Stats keep the last stored counts while the database cannot answer", () => {
  let broken = false;
  let files = 3;
  const stats = new Stats({
    maxConnections: () => 1,
    stored: () => {
      if (broken) throw new Error("Cannot read: database is locked");
      return { registeredClients: 1, verifiedFiles: files };
    },
  });
  assert.equal(stats.snapshot().verifiedFiles, 3);
  broken = true;
  files = 4;
  const end = {
    type: "transfer-end",
    transfer: "t",
    client: "ab",
    file: "f",
    outcome: "verified",
    bytes: 16,
  } as const;
  stats.apply(end);
  assert.equal(stats.snapshot().verifiedFiles, 3);
  broken = false;
  assert.equal(stats.snapshot().verifiedFiles, 4);
});

Deno.test("Stats starts its activity feed from the uploads recorded before a restart", () =>
  withDatabase((db, client) => {
    const before = new Stats({ maxConnections: () => 1 });
    verifiedUpload(before, db, client, "report.pdf");
    const failed = db.transfers.start({
      clientId: client,
      fileName: "broken.bin",
      transport: "http",
      size: 2 * 1024 * 1024,
      attempt: 1,
    }, new Date().toISOString());
    db.transfers.finish(
      failed,
      { outcome: "failed", bytes: 1024 },
      new Date().toISOString(),
    );
    db.transfers.start({
      clientId: client,
      fileName: "running.bin",
      transport: "tcp",
      size: 16,
      attempt: 1,
    }, new Date().toISOString());
    const stats = new Stats({
      maxConnections: () => 1,
      recent: db.transfers.list({ pageSize: 20 }).rows,
    });
    const feed = stats.snapshot().activity;
    assert.deepEqual(feed.map((a) => a.kind), ["failed", "verified"]);
    assert.equal(feed[0].text, "alice: broken.bin failed");
    assert.match(
      feed[1].text,
      /^alice: report\.pdf verified \(48 B sent in \d+\.\d s\)$/,
    );
    assert.ok(feed[0].id > feed[1].id, "ids grow from oldest to newest");
  }));
