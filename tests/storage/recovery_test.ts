/**
 * A crash between renaming a verified upload into place and committing its
 * record is undone at the next start (transfers.interruptUnfinished, server/storage/sqlite/transfers.ts).
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import { previousPathOf } from "../../server/storage/pending_file.ts";

const CLIENT = new Uint8Array(16).fill(7);
const NOW = "2026-01-01T00:00:00.000Z";
const encoder = new TextEncoder();

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-recovery-" });
  const db = Database.open(join(dir, "defensive.db"));
  const store = new FileStore(join(dir, "received_files"));
  db.clients.create(CLIENT, "alice", NOW);
  /** Stores `text` verified, with its record, as the session does. */
  const stored = async (name: string, text: string) => {
    const pending = await store.begin(CLIENT, name);
    await pending.write(encoder.encode(text));
    const path = await pending.commit();
    db.files.recordVerified({
      clientId: CLIENT,
      fileName: name,
      pathName: path,
      size: text.length,
      checksum: 1,
    }, NOW);
  };
  /** Goes as far as the rename, then "crashes": no record is committed. */
  const crashAfterRename = async (
    name: string,
    text: string,
    stage: "noted" | "renamed",
  ) => {
    const transfer = db.transfers.start({
      clientId: CLIENT,
      fileName: name,
      transport: "tcp",
      size: text.length,
      attempt: 1,
    }, NOW);
    const pending = await store.begin(CLIENT, name);
    await pending.write(encoder.encode(text));
    await pending.prepare();
    db.transfers.noteCommit(transfer, pending);
    if (stage === "renamed") pending.publish();
    return pending;
  };
  const outcomes = () =>
    db.handle.prepare("SELECT Outcome FROM transfers").all().map((r) =>
      r.Outcome
    );
  return { dir, db, store, stored, crashAfterRename, outcomes };
}

Deno.test("the previous copy returns when the process died between the rename and the record", async () => {
  const t = await setup();
  try {
    await t.stored("a.txt", "verified copy");
    const path = t.store.pathOf(CLIENT, "a.txt");
    await t.crashAfterRename("a.txt", "unrecorded", "renamed");
    assert.equal(await Deno.readTextFile(path), "unrecorded");
    assert.equal(t.db.transfers.interruptUnfinished(NOW), 1);
    assert.equal(await Deno.readTextFile(path), "verified copy");
    assert.deepEqual(t.outcomes(), ["interrupted"]);
    // The previous copy went back; nothing is left in the temporary folder.
    assert.equal(await t.store.removeLeftovers(), 0);
  } finally {
    t.db.close();
    await Deno.remove(t.dir, { recursive: true });
  }
});

Deno.test("a first copy without a record is removed, and an upload that never got renamed is left to removeLeftovers", async () => {
  const t = await setup();
  try {
    await t.crashAfterRename("new.txt", "unrecorded", "renamed");
    const waiting = await t.crashAfterRename("other.txt", "prepared", "noted");
    assert.equal(t.db.transfers.interruptUnfinished(NOW), 2);
    await assert.rejects(
      () => Deno.stat(t.store.pathOf(CLIENT, "new.txt")),
      Deno.errors.NotFound,
    );
    await assert.rejects(
      () => Deno.stat(t.store.pathOf(CLIENT, "other.txt")),
      Deno.errors.NotFound,
    );
    assert.equal(await Deno.readTextFile(waiting.tempPath), "prepared");
    assert.equal(await t.store.removeLeftovers(), 1);
  } finally {
    t.db.close();
    await Deno.remove(t.dir, { recursive: true });
  }
});

Deno.test("a commit that was recorded is left alone", async () => {
  const t = await setup();
  try {
    await t.stored("a.txt", "old");
    const pending = await t.crashAfterRename("a.txt", "new", "renamed");
    // The record committed (as the session does), then the process died
    // before finalize() deleted the previous copy.
    t.db.files.recordVerified({
      clientId: CLIENT,
      fileName: "a.txt",
      pathName: pending.finalPath,
      size: 3,
      checksum: 2,
    }, NOW);
    t.db.transfers.finish(1, { outcome: "verified", bytes: 3 }, NOW);
    assert.equal(t.db.transfers.interruptUnfinished(NOW), 0);
    assert.equal(await Deno.readTextFile(pending.finalPath), "new");
    assert.equal(await t.store.removeLeftovers(), 1); // the previous copy
  } finally {
    t.db.close();
    await Deno.remove(t.dir, { recursive: true });
  }
});

Deno.test("a previous copy that cannot be put back stops the start and waits for the next one", async () => {
  const t = await setup();
  try {
    await t.stored("a.txt", "verified copy");
    const pending = await t.crashAfterRename("a.txt", "unrecorded", "renamed");
    const path = pending.finalPath;
    // A folder now holds the final name, so rename() cannot put the copy back.
    await Deno.remove(path);
    await Deno.mkdir(join(path, "inner"), { recursive: true });
    assert.throws(
      () => t.db.transfers.interruptUnfinished(NOW),
      /^Error: Cannot undo interrupted commit of .*a\.txt: /,
    );
    // Nothing marked: removeLeftovers() is never reached, the copy is kept.
    assert.deepEqual(t.outcomes(), ["in_progress"]);
    const previous = previousPathOf(pending.tempPath);
    assert.equal(await Deno.readTextFile(previous), "verified copy");

    await Deno.remove(path, { recursive: true });
    assert.equal(t.db.transfers.interruptUnfinished(NOW), 1);
    assert.equal(await Deno.readTextFile(path), "verified copy");
    assert.equal(await t.store.removeLeftovers(), 0);
  } finally {
    t.db.close();
    await Deno.remove(t.dir, { recursive: true });
  }
});

if (Deno.build.os !== "windows") {
  Deno.test("recovery neither writes nor deletes through a symlink planted as the client folder", async () => {
    const t = await setup();
    try {
      await t.stored("a.txt", "verified copy");
      const replaced = await t.crashAfterRename("a.txt", "new", "renamed");
      const first = await t.crashAfterRename("b.txt", "first", "renamed");
      const folder = dirname(replaced.finalPath);
      const outside = join(t.dir, "outside");
      await Deno.mkdir(outside);
      await Deno.writeTextFile(join(outside, "a.txt"), "precious a");
      await Deno.writeTextFile(join(outside, "b.txt"), "precious b");
      await Deno.rename(folder, join(t.dir, "moved"));
      await Deno.symlink(outside, folder);

      assert.throws(
        () => t.db.transfers.interruptUnfinished(NOW),
        /is a symbolic link/,
      );
      assert.equal(
        await Deno.readTextFile(join(outside, "a.txt")),
        "precious a",
      );
      assert.equal(
        await Deno.readTextFile(join(outside, "b.txt")),
        "precious b",
      );
      assert.equal(
        await Deno.readTextFile(previousPathOf(replaced.tempPath)),
        "verified copy",
      );
      assert.deepEqual(t.outcomes(), ["in_progress", "in_progress"]);
      assert.equal(first.state, "published");
    } finally {
      t.db.close();
      await Deno.remove(t.dir, { recursive: true });
    }
  });
}
