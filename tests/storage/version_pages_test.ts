/** The portal's reads of backup history: a page of a name's versions, its count, a client's distinct bytes. */
import assert from "node:assert/strict";
import {
  A,
  B,
  newVersion as upload,
  openWithClients,
} from "./versions_fixture.ts";

Deno.test("versions.page() lists a name's versions newest first, trashed ones too, a page at a time", () => {
  using t = openWithClients("cyberbackup-version-pages-");
  const { db } = t;
  for (let i = 1; i <= 7; i++) {
    db.versions.add(upload(), `2026-01-0${i}T00:00:00.000Z`);
  }
  db.versions.add(
    upload({ fileName: "other.txt" }),
    "2026-01-08T00:00:00.000Z",
  );
  db.versions.add(upload({ clientId: B }), "2026-01-08T00:00:00.000Z");
  db.maintenance.markTrashed(
    db.versions.byNumber(A, "doc.txt", 6)!.id,
    "admin",
    "2026-01-09T00:00:00.000Z",
  );
  const first = db.versions.page(A, "doc.txt", { pageSize: 3 });
  assert.equal(first.total, 7);
  assert.deepEqual(first.rows.map((v) => v.number), [7, 6, 5]);
  assert.equal(first.rows[1].trashedAt, "2026-01-09T00:00:00.000Z");
  assert.equal(first.rows[0].storedAt, "2026-01-07T00:00:00.000Z");
  const last = db.versions.page(A, "doc.txt", { pageSize: 3, page: 3 });
  assert.deepEqual(last.rows.map((v) => v.number), [1]);
  assert.deepEqual(db.versions.page(A, "nothing.txt").rows, []);
  assert.equal(db.versions.count(A, "doc.txt"), 7);
  assert.equal(db.versions.count(A, "other.txt"), 1);
  assert.equal(db.versions.count(B, "other.txt"), 0);
});

Deno.test("versions.distinctBytes() counts each content of a client's kept versions once", () => {
  using t = openWithClients("cyberbackup-version-pages-");
  const { db } = t;
  const now = "2026-01-01T00:00:00.000Z";
  db.versions.add(upload({ size: 100, blake3: "1".repeat(64) }), now);
  db.versions.add(upload({ size: 100, blake3: "1".repeat(64) }), now);
  db.versions.add(
    upload({ fileName: "b.txt", size: 100, blake3: "1".repeat(64) }),
    now,
  );
  const trashed = db.versions.add(
    upload({ size: 40, blake3: "2".repeat(64) }),
    now,
  );
  db.versions.add(
    upload({ clientId: B, size: 9, blake3: "3".repeat(64) }),
    now,
  );
  assert.equal(db.versions.distinctBytes(A), 140);
  db.maintenance.markTrashed(trashed.id, "admin", now);
  assert.equal(db.versions.distinctBytes(A), 100);
  assert.equal(db.versions.usage(A).bytes, 300);
  assert.equal(db.versions.distinctBytes(B), 9);
  assert.equal(db.versions.distinctBytes(new Uint8Array(16)), 0);
});
