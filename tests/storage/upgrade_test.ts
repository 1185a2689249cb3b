/**
 * The upgrade of stored files from before history (server/storage/upgrade.ts):
 * each verified files row gets version 1, linked into .objects; what it
 * cannot read is skipped and left as it was; a rerun after a crash finishes.
 */
import assert from "node:assert/strict";
import { blake3Hex } from "../../server/crypto/blake3.ts";
import { join } from "node:path";
import { cksum } from "../../server/crypto/cksum.ts";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import { versionStoredFiles } from "../../server/storage/upgrade.ts";

const A = new Uint8Array(16).fill(0xa1);
const NOW = "2026-02-01T00:00:00.000Z";
const encoder = new TextEncoder();

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-upgrade-" });
  const db = Database.open(join(dir, "defensive.db"));
  const store = new FileStore(join(dir, "received_files"));
  db.clients.create(A, "alice", NOW);
  /** Stores a file the way the release before history did. */
  const old = async (name: string, text: string) => {
    const pending = await store.begin(A, name);
    await pending.write(encoder.encode(text));
    const path = await pending.commit();
    db.files.recordVerified({
      clientId: A,
      fileName: name,
      pathName: path,
      size: text.length,
      checksum: cksum(encoder.encode(text)),
    }, "2025-12-24T00:00:00.000Z");
    return path;
  };
  return {
    db,
    store,
    old,
    async [Symbol.asyncDispose]() {
      db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const sha = (text: string) => blake3Hex(text);

Deno.test("versionStoredFiles() makes each stored file version 1, linked to its object, rows and bytes kept", async () => {
  await using t = await setup();
  const a = await t.old("a.txt", "same");
  const b = await t.old("b.txt", "same");
  await t.old("c.txt", "other");
  const files = t.db.files.list().rows;
  const report = await versionStoredFiles(t.db, t.store, NOW);
  assert.deepEqual(report, {
    versioned: 3,
    deduplicated: 1,
    skipped: 0,
    bytes: 13,
  });
  assert.deepEqual(t.db.files.list().rows, files);
  const [v] = t.db.versions.list(A, "a.txt");
  assert.deepEqual(
    [v.number, v.blake3, v.size, v.storedAt],
    [1, sha("same"), 4, "2025-12-24T00:00:00.000Z"],
  );
  assert.equal(v.checksum, cksum(encoder.encode("same")));
  const object = t.store.objects.objectPath(sha("same"));
  assert.equal(Deno.statSync(a).ino, Deno.statSync(object).ino);
  assert.equal(Deno.statSync(b).ino, Deno.statSync(object).ino);
  assert.equal(Deno.readTextFileSync(b), "same");
  assert.deepEqual(await versionStoredFiles(t.db, t.store, NOW), {
    versioned: 0,
    deduplicated: 0,
    skipped: 0,
    bytes: 0,
  });
});

Deno.test("versionStoredFiles() skips a row whose file is missing or a symlink, and an unverified row", async () => {
  await using t = await setup();
  const gone = await t.old("gone.txt", "x");
  Deno.removeSync(gone);
  const linked = await t.old("linked.txt", "y");
  Deno.removeSync(linked);
  Deno.symlinkSync("/etc/hostname", linked);
  t.db.handle.prepare(
    "INSERT INTO files (ID, FileName, PathName, Verified) VALUES (?, 'draft.txt', 'p', 0)",
  ).run(A);
  await t.old("kept.txt", "kept");
  const report = await versionStoredFiles(t.db, t.store, NOW);
  assert.equal(report.versioned, 1);
  assert.equal(report.skipped, 2);
  assert.deepEqual(
    t.db.versions.names(A).rows.map((r) => r.fileName),
    ["kept.txt"],
  );
  assert.equal(Deno.lstatSync(linked).isSymlink, true);
});

Deno.test("versionStoredFiles() run again after a crash between link and record records the file, its object linked once", async () => {
  await using t = await setup();
  const path = await t.old("a.txt", "content");
  // The previous start linked the file into .objects, then died.
  t.store.objects.adopt(path, sha("content"));
  const orphan = t.store.objects.objectPath(sha("content"));
  assert.equal(Deno.statSync(path).nlink, 2);
  const report = await versionStoredFiles(t.db, t.store, NOW);
  assert.equal(report.versioned, 1);
  assert.equal(Deno.statSync(path).ino, Deno.statSync(orphan).ino);
  assert.equal(Deno.statSync(path).nlink, 2);
  assert.equal(t.db.versions.hasContent(sha("content")), true);
});
