import assert from "node:assert/strict";
import type { NewVersion } from "../../server/storage/types.ts";
import { A, B, newVersion, openWithClients } from "./versions_fixture.ts";
const SHA1 = "1".repeat(64);
const SHA2 = "2".repeat(64);

function upload(over: Partial<NewVersion> = {}): NewVersion {
  return newVersion({ pathName: "/data/received_files/a1/doc.txt", ...over });
}

Deno.test("versions.add() numbers each upload of a name from 1 and keeps the older ones", () => {
  using t = openWithClients("cyberbackup-versions-");
  const { db } = t;
  const first = db.versions.add(upload(), "2026-01-02T00:00:00.000Z");
  const second = db.versions.add(
    upload({ blake3: SHA2, size: 23, checksum: 9, dialect: "classic" }),
    "2026-01-03T00:00:00.000Z",
  );
  const other = db.versions.add(
    upload({ fileName: "other.txt" }),
    "2026-01-04T00:00:00.000Z",
  );
  assert.deepEqual([first.number, second.number, other.number], [1, 2, 1]);
  assert.deepEqual(
    db.versions.list(A, "doc.txt").map((v) => [v.number, v.blake3, v.size]),
    [[1, SHA1, 100], [2, SHA2, 23]],
  );
  assert.deepEqual(db.versions.get(second.id), second);
  assert.equal(second.dialect, "classic");
  assert.deepEqual(db.versions.byNumber(A, "doc.txt", 1), first);
  assert.equal(db.versions.byNumber(A, "doc.txt", 3), undefined);
});

Deno.test("versions.add() makes the files row describe the newest version, keeping its path when none is given", () => {
  using t = openWithClients("cyberbackup-versions-");
  const { db } = t;
  db.versions.add(upload(), "2026-01-02T00:00:00.000Z");
  db.versions.add(
    upload({ blake3: SHA2, size: 23, checksum: 9, pathName: undefined }),
    "2026-01-03T00:00:00.000Z",
  );
  assert.deepEqual(db.files.of(A, "doc.txt"), {
    clientId: A,
    fileName: "doc.txt",
    pathName: "/data/received_files/a1/doc.txt",
    verified: true,
    size: 23,
    checksum: 9,
    storedAt: "2026-01-03T00:00:00.000Z",
  });
});

Deno.test("versions.add() stores identical content once, across names and clients", () => {
  using t = openWithClients("cyberbackup-versions-");
  const { db } = t;
  assert.equal(db.versions.hasContent(SHA1), false);
  db.versions.add(upload(), "2026-01-02T00:00:00.000Z");
  db.versions.add(upload({ fileName: "copy.txt" }), "2026-01-02T00:00:01.000Z");
  db.versions.add(upload({ clientId: B }), "2026-01-02T00:00:02.000Z");
  assert.equal(db.versions.hasContent(SHA1), true);
  assert.equal(db.versions.hasContent(SHA2), false);
  assert.deepEqual(db.versions.totals(), {
    versions: 3,
    logicalBytes: 300,
    storedBytes: 100,
  });
  // Quotas count before dedup: each client carries its own copies in full.
  assert.deepEqual(db.versions.usage(A), { versions: 2, bytes: 200 });
  assert.deepEqual(db.versions.usage(B), { versions: 1, bytes: 100 });
});

Deno.test("versions.add() refuses a malformed content address and records nothing", () => {
  using t = openWithClients("cyberbackup-versions-");
  const { db } = t;
  assert.throws(
    () => db.versions.add(upload({ blake3: "../../etc" }), "2026-01-02Z"),
    RangeError,
  );
  assert.equal(db.versions.list(A, "doc.txt").length, 0);
  assert.equal(db.files.of(A, "doc.txt"), undefined);
});

Deno.test("versions.add() inside a transaction that rolls back leaves no version, content or files row", () => {
  using t = openWithClients("cyberbackup-versions-");
  const { db } = t;
  assert.throws(() =>
    db.transaction(() => {
      db.versions.add(upload(), "2026-01-02T00:00:00.000Z");
      throw new Error("commit failed");
    })
  );
  assert.equal(db.versions.hasContent(SHA1), false);
  assert.equal(db.versions.list(A, "doc.txt").length, 0);
  assert.equal(db.files.of(A, "doc.txt"), undefined);
});

Deno.test("versions.at() finds the newest kept version stored at or before a time; trashed ones hide from lists", () => {
  using t = openWithClients("cyberbackup-versions-");
  const { db } = t;
  const v1 = db.versions.add(upload(), "2026-01-02T00:00:00.000Z");
  const v2 = db.versions.add(
    upload({ blake3: SHA2 }),
    "2026-01-05T00:00:00.000Z",
  );
  assert.equal(
    db.versions.at(A, "doc.txt", "2026-01-01T00:00:00.000Z"),
    undefined,
  );
  assert.equal(
    db.versions.at(A, "doc.txt", "2026-01-04T00:00:00.000Z")?.id,
    v1.id,
  );
  assert.equal(
    db.versions.at(A, "doc.txt", "2026-01-05T00:00:00.000Z")?.id,
    v2.id,
  );
  db.handle.prepare(
    "UPDATE versions SET TrashedAt = '2026-01-06Z', TrashedBy = 'admin' WHERE VersionID = ?",
  ).run(v2.id);
  assert.equal(
    db.versions.at(A, "doc.txt", "2026-01-07T00:00:00.000Z")?.id,
    v1.id,
  );
  assert.deepEqual(db.versions.list(A, "doc.txt").map((v) => v.id), [v1.id]);
  assert.deepEqual(
    db.versions.list(A, "doc.txt", { trashed: true }).map((v) => v.trashedAt),
    [null, "2026-01-06Z"],
  );
  assert.deepEqual(db.versions.usage(A), { versions: 1, bytes: 100 });
  assert.equal(db.versions.totals().versions, 1);
});

Deno.test("versions.names() pages a client's names with their kept count and newest version", () => {
  using t = openWithClients("cyberbackup-versions-");
  const { db } = t;
  db.versions.add(upload({ fileName: "b.txt" }), "2026-01-02T00:00:00.000Z");
  db.versions.add(upload({ fileName: "a.txt" }), "2026-01-02T00:00:01.000Z");
  const newest = db.versions.add(
    upload({ fileName: "a.txt", blake3: SHA2 }),
    "2026-01-02T00:00:02.000Z",
  );
  db.versions.add(upload({ clientId: B, fileName: "z.txt" }), "2026-01-03Z");
  const first = db.versions.names(A, { pageSize: 1 });
  assert.equal(first.total, 2);
  assert.deepEqual(
    first.rows.map((r) => [r.fileName, r.versions, r.latest.id]),
    [["a.txt", 2, newest.id]],
  );
  const second = db.versions.names(A, { page: 2, pageSize: 1 });
  assert.deepEqual(second.rows.map((r) => r.fileName), ["b.txt"]);
});

Deno.test("versions.setPinned() pins and unpins; false for an unknown version", () => {
  using t = openWithClients("cyberbackup-versions-");
  const { db } = t;
  const v = db.versions.add(upload(), "2026-01-02T00:00:00.000Z");
  assert.equal(db.versions.setPinned(v.id, true), true);
  assert.equal(db.versions.get(v.id)?.pinned, true);
  assert.equal(db.versions.setPinned(v.id, false), true);
  assert.equal(db.versions.get(v.id)?.pinned, false);
  assert.equal(db.versions.setPinned(v.id + 100, true), false);
});
