/**
 * A crash inside the commit of a version (the steps of storeVerified in
 * server/session/handlers/verdict.ts, stopped where the process would die:
 * the transaction never commits, the files stay as they are) is undone at
 * the next start: the name is again its recorded version, a hard link to
 * that version's object, and nothing is left in .tmp. Content linked into
 * .objects before the crash stays as an orphan for GC, whole.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import { blake3 } from "../history/fixture.ts";

const CLIENT = new Uint8Array(16).fill(7);
const NOW = "2026-01-01T00:00:00.000Z";

/** How far a commit gets before the process dies. */
type Stage = "placed" | "renamed";

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-hist-rec-" });
  const db = Database.open(join(dir, "defensive.db"));
  const store = new FileStore(join(dir, "received_files"));
  db.clients.create(CLIENT, "alice", NOW);
  /** The commit's steps, in storeVerified's order, up to `stage` or to the end. */
  const commit = async (name: string, text: string, stage?: Stage) => {
    const transfer = db.transfers.start({
      clientId: CLIENT,
      fileName: name,
      transport: "tcp",
      size: text.length,
      attempt: 1,
    }, NOW);
    const pending = await store.begin(CLIENT, name);
    await pending.write(new TextEncoder().encode(text));
    await pending.prepare();
    db.transfers.noteCommit(transfer, pending);
    db.handle.exec("BEGIN IMMEDIATE");
    const sha = blake3(text);
    store.objects.place(pending.tempPath, sha, db.versions.hasContent(sha));
    db.versions.add({
      clientId: CLIENT,
      fileName: name,
      size: text.length,
      checksum: 1,
      blake3: sha,
      transport: "tcp",
      pathName: pending.finalPath,
    }, NOW);
    db.transfers.finish(transfer, { outcome: "verified", bytes: 1 }, NOW);
    if (stage !== "placed") pending.publish();
    // The process dies: the transaction never commits.
    db.handle.exec(stage ? "ROLLBACK" : "COMMIT");
    if (!stage) await pending.finalize();
  };
  /** What a start does before serving (server/serve.ts). */
  const restart = async () => {
    db.transfers.interruptUnfinished(NOW);
    await store.removeLeftovers();
  };
  const inode = (path: string) => Deno.statSync(path).ino;
  return { dir, db, store, commit, restart, inode };
}

for (const stage of ["placed", "renamed"] as const) {
  for (const dedup of [false, true]) {
    Deno.test(`a crash after the content is ${stage} (${dedup ? "deduplicated" : "new content"}) leaves the recorded version in place`, async () => {
      const t = await setup();
      try {
        await t.commit("a.txt", "version one");
        if (dedup) await t.commit("other.txt", "version two");
        await t.commit("a.txt", "version two", stage);
        await t.restart();
        const path = t.store.pathOf(CLIENT, "a.txt");
        assert.equal(await Deno.readTextFile(path), "version one");
        assert.equal(
          t.inode(path),
          t.inode(t.store.objects.objectPath(blake3("version one"))),
        );
        assert.deepEqual(
          t.db.versions.list(CLIENT, "a.txt").map((v) => v.number),
          [1],
        );
        assert.equal(t.db.files.of(CLIENT, "a.txt")?.size, 11);
        // New content reached .objects (an orphan now, whole); a known one
        // is untouched, still linked from the name that holds it.
        const two = t.store.objects.objectPath(blake3("version two"));
        assert.equal(Deno.readTextFileSync(two), "version two");
        assert.equal(Deno.statSync(two).nlink, dedup ? 2 : 1);
        assert.deepEqual([...Deno.readDirSync(join(t.store.root, ".tmp"))], []);
        // The next upload of the same bytes commits over the orphan.
        await t.commit("a.txt", "version two");
        assert.equal(await Deno.readTextFile(path), "version two");
        assert.equal(t.inode(path), t.inode(two));
      } finally {
        t.db.close();
        await Deno.remove(t.dir, { recursive: true });
      }
    });
  }
}

Deno.test("a crash after a first name's link was renamed into place removes the unrecorded name", async () => {
  const t = await setup();
  try {
    await t.commit("kept.txt", "shared bytes");
    await t.commit("new.txt", "shared bytes", "renamed");
    const path = t.store.pathOf(CLIENT, "new.txt");
    assert.equal(Deno.readTextFileSync(path), "shared bytes");
    await t.restart();
    assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
    assert.equal(t.db.files.of(CLIENT, "new.txt"), undefined);
    const object = t.store.objects.objectPath(blake3("shared bytes"));
    assert.equal(Deno.statSync(object).nlink, 2);
    assert.equal(
      Deno.readTextFileSync(t.store.pathOf(CLIENT, "kept.txt")),
      "shared bytes",
    );
  } finally {
    t.db.close();
    await Deno.remove(t.dir, { recursive: true });
  }
});
