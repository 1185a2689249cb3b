import assert from "node:assert/strict";
import { Database } from "../../server/storage/database.ts";

const A = new Uint8Array(16).fill(0xa1);
const KEY = new Uint8Array(160).fill(7);

function open() {
  const dir = Deno.makeTempDirSync({ prefix: "cyberbackup-rekey-" });
  const db = Database.open(`${dir}/defensive.db`);
  return {
    db,
    [Symbol.dispose]() {
      db.close();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

Deno.test("rekey() forgets both keys and keeps id and name; false when there is no key", () => {
  using t = open();
  const { db } = t;
  db.clients.create(A, "rita", "2026-01-01T00:00:00.000Z");
  assert.equal(db.clients.rekey(A, "2026-01-01T00:00:03.000Z"), false);
  db.clients.setKeys(
    A,
    { publicKey: KEY, aesKey: new Uint8Array(32) },
    "2026-01-01T00:00:01.000Z",
  );
  assert.equal(db.clients.rekey(A, "2026-01-01T00:00:03.000Z"), true);
  const client = db.clients.byId(A)!;
  assert.equal(client.name, "rita");
  assert.equal(client.publicKey, null);
  assert.equal(client.aesKey, null);
  assert.equal(client.rekeyUntil, "2026-01-01T00:15:03.000Z");
  assert.equal(db.clients.byName("rita")?.id.toString(), A.toString());
  // A new key closes the window.
  db.clients.setKeys(
    A,
    { publicKey: KEY, aesKey: new Uint8Array(32) },
    "2026-01-01T00:05:00.000Z",
  );
  assert.equal(db.clients.byId(A)?.rekeyUntil, null);
});

Deno.test("a re-keyed client with history is never taken over as an abandoned name", () => {
  using t = open();
  const { db } = t;
  db.clients.create(A, "rita", "2026-01-01T00:00:00.000Z");
  db.clients.setKeys(
    A,
    { publicKey: KEY, aesKey: new Uint8Array(32) },
    "2026-01-01T00:00:01.000Z",
  );
  db.versions.add({
    clientId: A,
    fileName: "doc.bin",
    size: 1,
    checksum: 1,
    blake3: "a".repeat(64),
    transport: "tcp",
  }, "2026-01-01T00:00:02.000Z");
  // Only versions, no files row: what a trashed newest version can leave.
  assert.equal(db.files.delete(A, "doc.bin"), true);
  db.clients.rekey(A, "2026-01-01T00:00:03.000Z");
  const stranger = new Uint8Array(16).fill(0xee);
  // A day later, well past the grace period of an abandoned registration.
  assert.equal(
    db.clients.create(stranger, "rita", "2026-01-02T00:00:00.000Z"),
    false,
  );
  assert.ok(db.clients.byId(A));
});
