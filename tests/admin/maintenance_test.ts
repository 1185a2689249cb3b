import assert from "node:assert/strict";
import { runAdminCommand } from "../../server/admin/command.ts";
import { ALICE, BOB, day, openStore, type Store } from "../history/fixture.ts";

async function admin(store: Store, ...args: string[]) {
  const captured = { stdout: "", stderr: "" };
  const code = await runAdminCommand(args, {
    dataDir: store.dir,
    io: {
      stdin: new Blob([]).stream(),
      stdinIsTerminal: false,
      out: (t) => (captured.stdout += t),
      err: (t) => (captured.stderr += t),
    },
  });
  return { code, ...captured };
}

const ALICE_HEX = "a1".repeat(16);

Deno.test("admin policy set / get, then retention preview and run, each audited as cli:<user>", async () => {
  const store = openStore();
  try {
    for (let i = 0; i < 4; i++) store.add(ALICE, "a.txt", `a${i}`, day(i));
    for (let i = 0; i < 4; i++) store.add(BOB, "b.txt", `b${i}`, day(i));

    let r = await admin(
      store,
      "policy",
      "set",
      "--keep-last",
      "2",
      "--keep-within",
      "1d",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /keep-last 2, keep-within 1d/);
    r = await admin(
      store,
      "policy",
      "set",
      "--client",
      ALICE_HEX,
      "--keep-last",
      "1",
    );
    assert.equal(r.code, 0, r.stderr);
    r = await admin(store, "policy", "get", "--client", ALICE_HEX);
    assert.match(r.stdout, /stored:\s+keep-last 1\n/);
    assert.match(r.stdout, /effective:\s+keep-last 1, keep-within 1d/);

    r = await admin(store, "retention", "preview");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/^remove/gm)?.length, 3 + 2);
    assert.match(r.stdout, /5 of 8 versions in 2 names would be removed/);
    r = await admin(
      store,
      "retention",
      "preview",
      "--all",
      "--client",
      ALICE_HEX,
    );
    assert.match(
      r.stdout,
      /keep\s+(a1)+\s+a\.txt\s+#4 .*\(newest; within 1d; last 1\)/,
    );

    r = await admin(store, "retention", "run");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /retention run \d+: done, 8 examined, 5 removed/);
    assert.equal(store.db.versions.list(ALICE, "a.txt").length, 1);
    assert.equal(store.db.versions.list(BOB, "b.txt").length, 2);

    const actions = store.db.audit.list().rows.map((
      e,
    ) => [e.action, e.actor.split(":")[0]]);
    assert.deepEqual(actions, [
      ["retention.run", "cli"],
      ["policy.set", "cli"],
      ["policy.set", "cli"],
    ]);

    r = await admin(store, "policy", "set", "--client", ALICE_HEX, "--clear");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(store.db.policies.get(ALICE), undefined);
    assert.equal(
      (await admin(store, "policy", "set", "--keep-last", "x")).code,
      2,
    );
    assert.equal(
      (await admin(store, "retention", "run", "--client", "zz")).code,
      2,
    );
  } finally {
    store.close();
  }
});

Deno.test("admin trash list, restore, purge and gc", async () => {
  const store = openStore();
  try {
    store.add(ALICE, "a.txt", "old", day(1));
    const newest = store.add(ALICE, "a.txt", "new", day(2));
    const { Trash } = await import("../../server/history/trash.ts");
    new Trash(store.db, store.files).trash(newest.id, {
      actor: "x",
      address: null,
    }, day(3));

    let r = await admin(store, "trash", "list");
    assert.match(
      r.stdout,
      new RegExp(`^${newest.id}  ${ALICE_HEX}  a\\.txt  #2 `, "m"),
    );
    r = await admin(store, "trash", "restore", String(newest.id));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      Deno.readTextFileSync(store.files.pathOf(ALICE, "a.txt")),
      "new",
    );
    assert.equal(
      (await admin(store, "trash", "restore", String(newest.id))).code,
      1,
    );

    new Trash(store.db, store.files).trash(newest.id, {
      actor: "x",
      address: null,
    }, day(3));
    r = await admin(store, "trash", "purge", "--all");
    assert.match(r.stdout, /^1 purged/);
    r = await admin(store, "gc");
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /gc run \d+: done, 1 examined, 1 removed, 1 files, 3 B freed/,
    );
    assert.equal(
      Deno.readTextFileSync(store.files.pathOf(ALICE, "a.txt")),
      "old",
    );
    r = await admin(store, "trash", "list");
    assert.equal(r.stdout, "The trash is empty.\n");
  } finally {
    store.close();
  }
});
