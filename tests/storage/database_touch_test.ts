import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Database } from "../../server/storage/database.ts";

Deno.test("touch() gives up after about 100 ms on another process's write lock and keeps the busy timeout of other writes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-touch-" });
  const path = join(dir, "defensive.db");
  const db = Database.open(path, { busyTimeoutMs: 5000 });
  try {
    const id = new Uint8Array(16).fill(3);
    assert.ok(db.clients.create(id, "alice", "2026-01-01T00:00:00.000Z"));
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    const started = performance.now();
    try {
      assert.throws(
        () => db.clients.touch(id, "2026-01-02T00:00:00.000Z"),
        /^Error: Cannot update last-seen time: database is locked/,
      );
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    const waited = performance.now() - started;
    assert.ok(waited < 1000, `waited ${waited.toFixed(0)} ms`);
    const row = db.handle.prepare("PRAGMA busy_timeout").get();
    assert.equal(Object.values(row!)[0], 5000);
    db.clients.touch(id, "2026-01-03T00:00:00.000Z");
    assert.equal(db.clients.byId(id)?.lastSeen, "2026-01-03T00:00:00.000Z");
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
