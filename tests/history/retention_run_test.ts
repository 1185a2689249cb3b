import assert from "node:assert/strict";
import { NO_POLICY } from "../../server/storage/sqlite/policies.ts";
import {
  previewRetention,
  runRetention,
} from "../../server/history/retention_run.ts";
import { currentOwner } from "../../server/history/run_record.ts";
import type { ClientPolicy } from "../../server/storage/types.ts";
import { ALICE, BOB, day, openStore, type Store } from "./fixture.ts";

const SYSTEM = { actor: "system", address: null };
const NOW = () => new Date(day(40));

function setPolicy(
  store: Store,
  scope: "*" | Uint8Array,
  rules: Partial<ClientPolicy>,
) {
  store.db.policies.set(scope, { ...NO_POLICY, ...rules }, day(0));
}

function keptNumbers(store: Store, client: Uint8Array, name: string): number[] {
  return store.db.versions.list(client, name).map((v) => v.number);
}

/** Ten daily versions of a.txt and b.txt for Alice, five of c.txt for Bob. */
function seed(store: Store): void {
  for (let i = 0; i < 10; i++) {
    store.add(ALICE, "a.txt", `a${i}`, day(i));
    store.add(ALICE, "b.txt", `b${i}`, day(i));
  }
  for (let i = 0; i < 5; i++) store.add(BOB, "c.txt", `c${i}`, day(i));
}

Deno.test("a run removes exactly what the preview listed, and keeps the newest of each name", async () => {
  const store = openStore();
  try {
    seed(store);
    setPolicy(store, "*", { keepLast: 3 });
    setPolicy(store, BOB, { keepLast: 1 });
    const preview = previewRetention(store.db, { removalsOnly: true });
    assert.equal(preview.versions, 25);
    assert.equal(preview.remove, 7 + 7 + 4);
    assert.equal(preview.rows.length, 18);
    assert.ok(preview.rows.every((r) => !r.keep));
    // Nothing changed yet.
    assert.deepEqual(keptNumbers(store, ALICE, "a.txt").length, 10);

    const run = await runRetention(store.db, {
      by: SYSTEM,
      now: NOW,
      batch: 4,
    });
    assert.equal(run?.state, "done");
    assert.equal(run?.examined, 25);
    assert.equal(run?.removed, 18);
    assert.equal(run?.bytes, 18 * 2);
    assert.deepEqual(keptNumbers(store, ALICE, "a.txt"), [8, 9, 10]);
    assert.deepEqual(keptNumbers(store, ALICE, "b.txt"), [8, 9, 10]);
    assert.deepEqual(keptNumbers(store, BOB, "c.txt"), [5]);
    const removedIds = new Set(preview.rows.map((r) => r.id));
    for (const id of removedIds) {
      assert.equal(store.db.versions.get(id), undefined);
    }

    const audit = store.db.audit.list({ action: "retention" }).rows;
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor, "system");
    assert.equal(JSON.parse(audit[0].detail!).removed, 18);
  } finally {
    store.close();
  }
});

Deno.test("preview rows carry the reasons of kept versions", () => {
  const store = openStore();
  try {
    seed(store);
    setPolicy(store, "*", { keepDaily: 2 });
    const preview = previewRetention(store.db, { clientId: BOB });
    assert.deepEqual(
      preview.rows.map((r) => [r.number, r.keep, r.reasons.join("; ")]),
      [
        [1, false, ""],
        [2, false, ""],
        [3, false, ""],
        [4, true, `daily ${day(3).slice(0, 10)}`],
        [5, true, `newest; daily ${day(4).slice(0, 10)}`],
      ],
    );
    // Rules given to the preview replace the stored ones (the form's preview).
    const unsaved = previewRetention(store.db, {
      clientId: BOB,
      rules: { ...NO_POLICY, keepLast: 4 },
    });
    assert.equal(unsaved.remove, 1);
    // The limit truncates rows, never the totals.
    const short = previewRetention(store.db, { limit: 2 });
    assert.equal(short.rows.length, 2);
    assert.equal(short.truncated, true);
    assert.equal(short.versions, 25);
  } finally {
    store.close();
  }
});

Deno.test("pinned versions survive a run; an empty policy removes nothing", async () => {
  const store = openStore();
  try {
    seed(store);
    const pinned = store.db.versions.byNumber(ALICE, "a.txt", 2)!;
    store.db.versions.setPinned(pinned.id, true);
    assert.equal(
      (await runRetention(store.db, { by: SYSTEM, now: NOW }))?.removed,
      0,
    );
    setPolicy(store, "*", { keepLast: 1 });
    await runRetention(store.db, { by: SYSTEM, now: NOW });
    assert.deepEqual(keptNumbers(store, ALICE, "a.txt"), [2, 10]);
  } finally {
    store.close();
  }
});

Deno.test("small pages and batches give the same result as one page", async () => {
  const results: number[][] = [];
  for (const pageSize of [1, 3, 7, 10_000]) {
    const store = openStore();
    try {
      seed(store);
      setPolicy(store, "*", { keepLast: 2, keepWeekly: 1 });
      await runRetention(store.db, {
        by: SYSTEM,
        now: NOW,
        pageSize,
        batch: 2,
      });
      results.push([
        ...keptNumbers(store, ALICE, "a.txt"),
        ...keptNumbers(store, ALICE, "b.txt"),
        ...keptNumbers(store, BOB, "c.txt"),
      ]);
    } finally {
      store.close();
    }
  }
  for (const r of results) assert.deepEqual(r, results[0]);
});

Deno.test("a deletion re-checks: a version that became the newest kept one is not removed", () => {
  const store = openStore();
  try {
    const v1 = store.add(ALICE, "a.txt", "one", day(1));
    const v2 = store.add(ALICE, "a.txt", "two", day(2));
    // Planned with v2 newest; then v2 is trashed, so v1 is the newest kept.
    store.db.handle.prepare(
      "UPDATE versions SET TrashedAt = ? WHERE VersionID = ?",
    ).run(day(3), v2.id);
    const done = store.db.transaction(() =>
      store.db.maintenance.deleteRetained([v1.id])
    );
    assert.equal(done.removed, 0);
    assert.ok(store.db.versions.get(v1.id));
    // Pinned since planning: kept too.
    const v3 = store.add(ALICE, "a.txt", "three", day(4));
    store.db.versions.setPinned(v1.id, true);
    assert.equal(
      store.db.transaction(() => store.db.maintenance.deleteRetained([v1.id]))
        .removed,
      0,
    );
    assert.ok(v3);
  } finally {
    store.close();
  }
});

Deno.test("a run cut off resumes after its cursor; a live run blocks a second one", async () => {
  const store = openStore();
  try {
    seed(store);
    setPolicy(store, "*", { keepLast: 1 });
    const m = store.db.maintenance;
    // A live run (this process) blocks.
    const live = m.beginRun(
      { kind: "retention", scope: "*", actor: "x", owner: currentOwner() },
      day(40),
      () => true,
    )!;
    assert.equal(
      await runRetention(store.db, { by: SYSTEM, now: NOW }),
      undefined,
    );
    // Dead, with a cursor past Alice's a.txt: the next run resumes there.
    m.progressRun(
      live.id,
      { examined: 10, removed: 0, files: 0, bytes: 0 },
      JSON.stringify({ client: "a1".repeat(16), name: "a.txt" }),
      day(40),
    );
    store.db.handle.prepare(
      "UPDATE maintenance_runs SET Owner = 'gone-host:1' , UpdatedAt = ? WHERE RunID = ?",
    ).run(day(30), live.id);
    const run = await runRetention(store.db, { by: SYSTEM, now: NOW });
    assert.equal(m.run(live.id)?.state, "interrupted");
    assert.equal(run?.examined, 15);
    assert.equal(keptNumbers(store, ALICE, "a.txt").length, 10);
    assert.deepEqual(keptNumbers(store, ALICE, "b.txt"), [10]);
    assert.deepEqual(keptNumbers(store, BOB, "c.txt"), [5]);
    // After a finished run, the next one starts from the beginning.
    const again = await runRetention(store.db, { by: SYSTEM, now: NOW });
    assert.equal(again?.examined, 10 + 1 + 1);
    assert.deepEqual(keptNumbers(store, ALICE, "a.txt"), [10]);
  } finally {
    store.close();
  }
});

Deno.test("a run of one client leaves the others alone", async () => {
  const store = openStore();
  try {
    seed(store);
    setPolicy(store, "*", { keepLast: 1 });
    const run = await runRetention(store.db, {
      clientId: BOB,
      by: SYSTEM,
      now: NOW,
    });
    assert.equal(run?.scope, "b0".repeat(16));
    assert.deepEqual(keptNumbers(store, BOB, "c.txt"), [5]);
    assert.equal(keptNumbers(store, ALICE, "a.txt").length, 10);
  } finally {
    store.close();
  }
});
