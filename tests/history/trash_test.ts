import assert from "node:assert/strict";
import { Trash } from "../../server/history/trash.ts";
import { ALICE, blake3, BOB, day, openStore, type Store } from "./fixture.ts";

const ADMIN = { actor: "admin", address: "127.0.0.1" };

function latestText(store: Store, name: string): string {
  return Deno.readTextFileSync(store.files.pathOf(ALICE, name));
}

Deno.test("trashing the newest version moves the files row and the link to the one before; restoring moves them back", () => {
  const store = openStore();
  try {
    store.add(ALICE, "doc.txt", "good copy", day(1));
    const bad = store.add(ALICE, "doc.txt", "CORRUPTED BY RANSOMWARE", day(2));
    const trash = new Trash(store.db, store.files);

    const trashed = trash.trash(bad.id, ADMIN, day(3));
    assert.equal(trashed?.trashedBy, "admin");
    assert.equal(
      trashed?.purgeAfter,
      new Date(Date.parse(day(3)) + 7 * 86400_000).toISOString(),
    );
    assert.equal(latestText(store, "doc.txt"), "good copy");
    const row = store.db.files.of(ALICE, "doc.txt")!;
    assert.equal(row.size, 9);
    assert.equal(row.storedAt, day(1));
    // The link is a hard link to the object, not a copy.
    assert.equal(
      Deno.statSync(store.files.pathOf(ALICE, "doc.txt")).ino,
      Deno.statSync(store.files.objects.objectPath(blake3("good copy"))).ino,
    );
    // Twice is nothing.
    assert.equal(trash.trash(bad.id, ADMIN, day(3)), undefined);

    assert.equal(trash.restore(bad.id, ADMIN, day(4)), true);
    assert.equal(latestText(store, "doc.txt"), "CORRUPTED BY RANSOMWARE");
    assert.equal(store.db.files.of(ALICE, "doc.txt")?.storedAt, day(2));
    assert.equal(trash.restore(bad.id, ADMIN, day(4)), false);

    const actions = store.db.audit.list().rows.map((r) => r.action);
    assert.deepEqual(actions, ["version.untrash", "version.trash"]);
  } finally {
    store.close();
  }
});

Deno.test("trashing an older version leaves the files row and link alone", () => {
  const store = openStore();
  try {
    const old = store.add(ALICE, "doc.txt", "one", day(1));
    store.add(ALICE, "doc.txt", "two", day(2));
    const trash = new Trash(store.db, store.files);
    trash.trash(old.id, ADMIN, day(3));
    assert.equal(latestText(store, "doc.txt"), "two");
    assert.equal(store.db.files.of(ALICE, "doc.txt")?.storedAt, day(2));
    // Restoring an older version does not make it the latest.
    trash.restore(old.id, ADMIN, day(4));
    assert.equal(latestText(store, "doc.txt"), "two");
  } finally {
    store.close();
  }
});

Deno.test("trashing the only version removes the files row and link; restoring brings both back", () => {
  const store = openStore();
  try {
    const only = store.add(ALICE, "doc.txt", "only", day(1));
    const trash = new Trash(store.db, store.files);
    trash.trash(only.id, ADMIN, day(2));
    assert.equal(store.db.files.of(ALICE, "doc.txt"), undefined);
    assert.throws(
      () => Deno.statSync(store.files.pathOf(ALICE, "doc.txt")),
      Deno.errors.NotFound,
    );
    // The content stays while the version is in the trash.
    assert.ok(
      Deno.statSync(store.files.objects.objectPath(blake3("only"))).isFile,
    );
    trash.restore(only.id, ADMIN, day(3));
    assert.equal(latestText(store, "doc.txt"), "only");
    assert.equal(store.db.files.of(ALICE, "doc.txt")?.size, 4);
  } finally {
    store.close();
  }
});

Deno.test("the trash lists newest trashed first; purge by ids, by client and all is audited", () => {
  const store = openStore();
  try {
    const a1 = store.add(ALICE, "a", "a1", day(1));
    store.add(ALICE, "a", "a2", day(2));
    const b1 = store.add(BOB, "b", "b1", day(1));
    store.add(BOB, "b", "b2", day(2));
    const c1 = store.add(BOB, "c", "c1", day(1));
    store.add(BOB, "c", "c2", day(2));
    const trash = new Trash(store.db, store.files, { trashDays: 1 });
    trash.trash(a1.id, ADMIN, day(3));
    trash.trash(b1.id, ADMIN, day(4));
    trash.trash(c1.id, ADMIN, day(5));
    const list = trash.list();
    assert.deepEqual(list.rows.map((r) => r.id), [c1.id, b1.id, a1.id]);
    assert.equal(list.rows[0].purgeAfter, day(6));
    assert.equal(trash.list({ clientId: BOB }).total, 2);

    assert.equal(trash.purge({ ids: [a1.id, 99999] }, ADMIN, day(6)), 1);
    assert.equal(store.db.maintenance.version(a1.id), undefined);
    assert.equal(trash.purge({ clientId: BOB }, ADMIN, day(6)), 2);
    assert.equal(trash.list().total, 0);
    // A kept version is never purged, even by id.
    const kept = store.db.versions.latest(ALICE, "a")!;
    assert.equal(trash.purge({ ids: [kept.id] }, ADMIN, day(6)), 0);
    assert.equal(trash.purge("all", ADMIN, day(6)), 0);
    const purges = store.db.audit.list({ action: "trash.purge" }).rows;
    assert.deepEqual(purges.map((r) => r.target), [
      "*",
      `${kept.id}`,
      "b0".repeat(16),
      `${a1.id},99999`,
    ]);
  } finally {
    store.close();
  }
});

Deno.test("the scheduled purge deletes only versions trashed longer than the delay", async () => {
  const store = openStore();
  try {
    const old = store.add(ALICE, "a", "a1", day(1));
    const recent = store.add(ALICE, "a", "a2", day(2));
    store.add(ALICE, "a", "a3", day(3));
    const trash = new Trash(store.db, store.files, { trashDays: 7 });
    trash.trash(old.id, ADMIN, day(4));
    trash.trash(recent.id, ADMIN, day(10));
    const run = await trash.purgeExpired(
      { actor: "system", address: null },
      () => new Date(day(12)),
    );
    assert.equal(run?.removed, 1);
    assert.equal(store.db.maintenance.version(old.id), undefined);
    assert.ok(store.db.maintenance.version(recent.id));
    assert.equal(store.db.audit.list({ action: "trash.expire" }).total, 1);
  } finally {
    store.close();
  }
});
