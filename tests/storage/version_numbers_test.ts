import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Trash } from "../../server/history/trash.ts";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import { MIGRATIONS } from "../../server/storage/schema.ts";
import { A, B, newVersion as upload } from "./versions_fixture.ts";

const NOW = "2026-01-01T00:00:00.000Z";
const ADMIN = { actor: "admin", address: "127.0.0.1" };

/** The schema version that the BLAKE3 migration leaves. */
const BLAKE3_SCHEMA = 1 +
  MIGRATIONS.findIndex((sql) => sql.includes("CREATE TABLE contents_sha256"));

function tempDir() {
  const dir = Deno.makeTempDirSync({ prefix: "cb-numbers-" });
  return {
    dir,
    [Symbol.dispose]() {
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/** Trashes the versions `ids` and purges them through the trash's purge. */
function purge(db: Database, dir: string, ids: number[]): void {
  for (const id of ids) db.maintenance.markTrashed(id, "admin", NOW);
  const trash = new Trash(db, new FileStore(join(dir, "received_files")));
  assert.equal(trash.purge({ ids }, ADMIN, NOW), ids.length);
}

function numbers(db: Database, fileName = "doc.txt"): number[] {
  return db.versions.list(A, fileName, { trashed: true }).map((v) => v.number);
}

Deno.test("a name's next version is numbered past its purged newest ones, even when none is left", () => {
  using t = tempDir();
  const db = Database.open(join(t.dir, "defensive.db"));
  try {
    db.clients.create(A, "alice", NOW);
    const [, second, third] = [1, 2, 3].map(() =>
      db.versions.add(upload(), NOW)
    );
    purge(db, t.dir, [second.id, third.id]);
    assert.equal(db.versions.add(upload(), NOW).number, 4);
    assert.deepEqual(numbers(db), [1, 4]);

    purge(db, t.dir, db.versions.list(A, "doc.txt").map((v) => v.id));
    assert.deepEqual(numbers(db), []);
    assert.equal(db.versions.add(upload(), NOW).number, 5);
    // Another name keeps its own count.
    assert.equal(db.versions.add(upload({ fileName: "b.txt" }), NOW).number, 1);
  } finally {
    db.close();
  }
});

Deno.test("versions.addFirst() numbers a name whose versions were all purged past them", () => {
  using t = tempDir();
  const db = Database.open(join(t.dir, "defensive.db"));
  try {
    db.clients.create(A, "alice", NOW);
    const first = db.versions.add(upload(), NOW);
    const second = db.versions.add(upload(), NOW);
    purge(db, t.dir, [first.id, second.id]);
    assert.equal(db.versions.addFirst(upload(), NOW, NOW), true);
    assert.deepEqual(numbers(db), [3]);
    assert.equal(db.versions.addFirst(upload(), NOW, NOW), false);
  } finally {
    db.close();
  }
});

Deno.test("versions.add() numbers past rows written without raising the mark", () => {
  using t = tempDir();
  const db = Database.open(join(t.dir, "defensive.db"));
  try {
    db.clients.create(A, "alice", NOW);
    db.versions.add(upload(), NOW);
    db.handle.prepare(
      `INSERT INTO versions (ClientID, FileName, Number, Blake3, Size, Checksum, StoredAt)
       VALUES (?, 'doc.txt', 7, ?, 5, 7, ?)`,
    ).run(A, "1".repeat(64), NOW);
    assert.equal(db.versions.add(upload(), NOW).number, 8);
  } finally {
    db.close();
  }
});

Deno.test("the migration starts each name's mark at its highest stored number, trashed ones included", () => {
  using t = tempDir();
  const path = join(t.dir, "defensive.db");
  const old = new DatabaseSync(path);
  old.exec("BEGIN");
  for (const sql of MIGRATIONS.slice(0, BLAKE3_SCHEMA)) old.exec(sql);
  old.exec(`PRAGMA user_version = ${BLAKE3_SCHEMA}`);
  old.prepare("INSERT INTO clients (ID, Name) VALUES (?, 'alice')").run(A);
  old.prepare(
    "INSERT INTO contents (Blake3, Size, StoredSize, CreatedAt) VALUES (?, 5, 5, ?)",
  ).run("1".repeat(64), NOW);
  const version = old.prepare(
    `INSERT INTO versions (ClientID, FileName, Number, Blake3, Size, Checksum,
       StoredAt, TrashedAt) VALUES (?, ?, ?, ?, 5, 7, ?, ?)`,
  );
  // kept.txt: 1..3, 3 in the trash. gone.txt: 1 and 2, its 3 long purged.
  for (const n of [1, 2, 3]) {
    version.run(A, "kept.txt", n, "1".repeat(64), NOW, n === 3 ? NOW : null);
  }
  for (const n of [1, 2]) {
    version.run(A, "gone.txt", n, "1".repeat(64), NOW, null);
  }
  old.exec("COMMIT");
  old.close();

  const db = Database.open(path);
  try {
    const [trashed] = db.versions.list(A, "kept.txt", { trashed: true })
      .filter((v) => v.trashedAt !== null);
    const trash = new Trash(db, new FileStore(join(t.dir, "received_files")));
    assert.equal(trash.purge({ ids: [trashed.id] }, ADMIN, NOW), 1);
    assert.equal(
      db.versions.add(upload({ fileName: "kept.txt" }), NOW).number,
      4,
    );
    // gone.txt's 3 left no row: the highest that exists is all it can know.
    const marks = db.handle.prepare(
      "SELECT FileName, LastNumber FROM version_numbers ORDER BY FileName",
    ).all().map((row) => [row.FileName, row.LastNumber]);
    assert.deepEqual(marks, [["gone.txt", 2], ["kept.txt", 4]]);
  } finally {
    db.close();
  }
});

Deno.test("deleting a client deletes its version numbers, not another's", () => {
  using t = tempDir();
  const db = Database.open(join(t.dir, "defensive.db"));
  try {
    db.clients.create(A, "alice", NOW);
    db.clients.create(B, "bob", NOW);
    db.versions.add(upload(), NOW);
    db.versions.add(upload({ clientId: B }), NOW);
    assert.equal(db.clients.delete(A), true);
    const owners = db.handle.prepare(
      "SELECT ClientID FROM version_numbers",
    ).all().map((row) => [...(row.ClientID as Uint8Array)][0]);
    assert.deepEqual(owners, [0xb2]);
  } finally {
    db.close();
  }
});
