import assert from "node:assert/strict";
import { Database } from "../../server/storage/database.ts";
import { NO_POLICY } from "../../server/storage/sqlite/policies.ts";

const A = new Uint8Array(16).fill(0xa1);
const B = new Uint8Array(16).fill(0xb2);
const NOW = "2026-01-01T00:00:00.000Z";

Deno.test("deleting a client deletes its versions and policy, so GC can free its content; others keep theirs", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cyberbackup-delete-" });
  const db = Database.open(`${dir}/defensive.db`);
  try {
    for (const [id, name] of [[A, "ann"], [B, "bob"]] as const) {
      db.clients.create(id, name, NOW);
      db.versions.add({
        clientId: id,
        fileName: "doc.txt",
        size: 5,
        checksum: 1,
        blake3: (id === A ? "a" : "b").repeat(64),
        transport: "tcp",
      }, NOW);
      db.policies.set(id, { ...NO_POLICY, keepLast: 2 }, NOW);
    }
    assert.equal(db.clients.delete(A), true);
    assert.equal(db.versions.usage(A).versions, 0);
    assert.equal(db.policies.get(A), undefined);
    assert.equal(db.versions.usage(B).versions, 1);
    assert.equal(db.policies.get(B)?.keepLast, 2);
    const unreferenced = db.handle.prepare(
      `SELECT Blake3 FROM contents c
       WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.Blake3 = c.Blake3)`,
    ).all().map((row) => row.Blake3);
    assert.deepEqual(unreferenced, ["a".repeat(64)]);
  } finally {
    db.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
