import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collectGarbage,
  GC_FOLDER,
  recoverCollected,
} from "../../server/history/gc.ts";
import { currentOwner } from "../../server/history/run_record.ts";
import { Trash } from "../../server/history/trash.ts";
import { ALICE, blake3, BOB, day, openStore, type Store } from "./fixture.ts";

const SYSTEM = { actor: "system", address: null };

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function contentRows(store: Store): number {
  return Number(
    store.db.handle.prepare("SELECT count(*) AS n FROM contents").get()!.n,
  );
}

Deno.test("GC collects content no version references, with figures; trashed versions still reference theirs", async () => {
  const store = openStore();
  try {
    const gone1 = store.add(ALICE, "a", "first!", day(1));
    const trashed = store.add(ALICE, "a", "second", day(2));
    store.add(ALICE, "a", "third", day(3));
    // The same content under Bob: dedup, still referenced.
    const shared = store.add(ALICE, "b", "shared", day(1));
    store.add(ALICE, "b", "later", day(2));
    store.add(BOB, "c", "shared", day(1));
    new Trash(store.db, store.files).trash(trashed.id, SYSTEM, day(4));
    store.db.handle.prepare(
      "DELETE FROM versions WHERE VersionID IN (?, ?)",
    ).run(gone1.id, shared.id);

    const run = await collectGarbage(store.db, store.files, {
      by: SYSTEM,
      now: () => new Date(day(5)),
      batch: 1,
    });
    assert.equal(run?.state, "done");
    assert.equal(run?.removed, 1);
    assert.equal(run?.files, 1);
    assert.equal(run?.bytes, 6);
    assert.equal(
      exists(store.files.objects.objectPath(blake3("first!"))),
      false,
    );
    for (const kept of ["second", "third", "shared", "later"]) {
      assert.ok(exists(store.files.objects.objectPath(blake3(kept))), kept);
    }
    assert.equal(contentRows(store), 4);
    assert.deepEqual(
      [...Deno.readDirSync(join(store.files.root, GC_FOLDER))],
      [],
    );
    const audit = store.db.audit.list({ action: "gc" }).rows[0];
    assert.equal(JSON.parse(audit.detail!).bytes, 6);

    // A second run finds nothing.
    const again = await collectGarbage(store.db, store.files, { by: SYSTEM });
    assert.equal(again?.removed, 0);
  } finally {
    store.close();
  }
});

Deno.test("GC collects object files without a row once they are older than the grace period", async () => {
  const store = openStore();
  try {
    store.add(ALICE, "a", "kept", day(1));
    const old = store.files.objects.objectPath(blake3("old orphan"));
    const young = store.files.objects.objectPath(blake3("young orphan"));
    for (const [path, text] of [[old, "old orphan"], [young, "young orphan"]]) {
      Deno.mkdirSync(join(path, ".."), { recursive: true });
      Deno.writeTextFileSync(path, text);
    }
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    Deno.utimeSync(old, hourAgo, hourAgo);
    // Not content-addressed: never touched.
    const stray = join(store.files.root, ".objects", "ab", "notes.txt");
    Deno.mkdirSync(join(stray, ".."), { recursive: true });
    Deno.writeTextFileSync(stray, "x");
    Deno.utimeSync(stray, hourAgo, hourAgo);

    // Each orphan is stat'ed once: the same lstat picks it and counts its bytes.
    const lstatSync = Deno.lstatSync;
    const stats = new Map<string, number>();
    Deno.lstatSync = (path) => {
      stats.set(String(path), (stats.get(String(path)) ?? 0) + 1);
      return lstatSync(path);
    };
    let run;
    try {
      run = await collectGarbage(store.db, store.files, {
        by: SYSTEM,
        orphanGraceMs: 3600_000,
      });
    } finally {
      Deno.lstatSync = lstatSync;
    }
    assert.equal(stats.get(old), 1);
    assert.equal(run?.removed, 0);
    assert.equal(run?.files, 1);
    assert.equal(run?.bytes, 10);
    assert.equal(exists(old), false);
    assert.ok(exists(young));
    assert.ok(exists(stray));
    assert.ok(exists(store.files.objects.objectPath(blake3("kept"))));
  } finally {
    store.close();
  }
});

Deno.test("recovery puts back objects whose row exists and unlinks the others", () => {
  const store = openStore();
  try {
    store.add(ALICE, "a", "still here", day(1));
    const sha = blake3("still here");
    const gc = join(store.files.root, GC_FOLDER);
    Deno.mkdirSync(gc);
    // Killed before COMMIT: the row is there, the object was moved aside.
    Deno.renameSync(store.files.objects.objectPath(sha), join(gc, sha));
    // Killed after COMMIT, before the unlink.
    Deno.writeTextFileSync(join(gc, blake3("collected")), "collected");
    assert.deepEqual(recoverCollected(store.db, store.files), {
      restored: 1,
      unlinked: 1,
    });
    assert.equal(
      Deno.readTextFileSync(store.files.objects.objectPath(sha)),
      "still here",
    );
    assert.deepEqual([...Deno.readDirSync(gc)], []);
  } finally {
    store.close();
  }
});

Deno.test("a failed GC transaction puts the objects it moved back", async () => {
  const store = openStore();
  try {
    const v = store.add(ALICE, "a", "doomed", day(1));
    store.add(ALICE, "a", "newer", day(2));
    store.db.handle.prepare("DELETE FROM versions WHERE VersionID = ?").run(
      v.id,
    );
    // Make COMMIT's progress write fail inside the transaction.
    store.db.handle.exec(
      `CREATE TRIGGER no_progress BEFORE UPDATE ON maintenance_runs
       WHEN new.Cursor IS NOT NULL BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
    await assert.rejects(
      collectGarbage(store.db, store.files, { by: SYSTEM }),
      /refused/,
    );
    assert.ok(exists(store.files.objects.objectPath(blake3("doomed"))));
    assert.equal(contentRows(store), 2);
    assert.equal(store.db.maintenance.runs(1)[0].state, "failed");
  } finally {
    store.close();
  }
});

Deno.test("only one GC runs at a time", async () => {
  const store = openStore();
  try {
    store.db.maintenance.beginRun(
      { kind: "gc", scope: "*", actor: "x", owner: currentOwner() },
      day(1),
      () => false,
    );
    assert.equal(
      await collectGarbage(store.db, store.files, { by: SYSTEM }),
      undefined,
    );
  } finally {
    store.close();
  }
});

Deno.test("recovery keeps the object an upload stored again after a GC was cut off, and drops the copy aside", () => {
  const store = openStore();
  try {
    store.add(ALICE, "a", "healed", day(1));
    const sha = blake3("healed");
    const gc = join(store.files.root, GC_FOLDER);
    Deno.mkdirSync(gc);
    // GC killed before COMMIT: row there, object aside.
    Deno.renameSync(store.files.objects.objectPath(sha), join(gc, sha));
    // An upload of the same content before the restart: the row is known
    // but the object missing, so the upload's own file becomes the object.
    const temp = join(store.dir, "upload.part");
    Deno.writeTextFileSync(temp, "healed");
    assert.deepEqual(store.files.objects.place(temp, sha, true), {
      deduplicated: false,
    });
    const uploaded = Deno.statSync(temp).ino;
    assert.deepEqual(recoverCollected(store.db, store.files), {
      restored: 0,
      unlinked: 1,
    });
    assert.equal(
      Deno.statSync(store.files.objects.objectPath(sha)).ino,
      uploaded,
    );
    assert.deepEqual([...Deno.readDirSync(gc)], []);
  } finally {
    store.close();
  }
});
