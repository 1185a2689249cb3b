/**
 * Re-addressing by BLAKE3 of contents stored by SHA-256
 * (server/storage/readdress.ts), on a data directory written at schema 11
 * and opened with this code: rows, objects and latest names end up under
 * BLAKE3 with nothing lost, whatever is cut off or missing on the way.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { blake3Hex } from "../../server/crypto/blake3.ts";
import { collectGarbage } from "../../server/history/gc.ts";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import {
  readdressContents,
  type ReaddressDb,
} from "../../server/storage/readdress.ts";
import { ALICE, BOB } from "../history/fixture.ts";
import {
  ALICE_UPLOADS,
  type OldUpload,
  sha256,
  writeSha256DataDir,
} from "./sha256_data.ts";

const UPLOADS: OldUpload[] = [
  ...ALICE_UPLOADS,
  // Two clients sharing a content too.
  { client: BOB, name: "c.txt", text: "both", at: "2026-01-04T00:00:00.000Z" },
  { client: BOB, name: "d.txt", text: "bob's", at: "2026-01-05T00:00:00.000Z" },
];
/** The newest upload of each name: the one its latest-name file holds. */
const LATEST = UPLOADS.slice(1);
const TEXTS = ["one", "both", "bob's"];
const NOTHING = { readdressed: 0, deduplicated: 0, skipped: 0, bytes: 0 };

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "cb-readdress-" });
  writeSha256DataDir(dir, UPLOADS);
  const db = Database.open(join(dir, "defensive.db"));
  const store = new FileStore(join(dir, "received_files"));
  return {
    db,
    store,
    /** The latest-name file of an upload. */
    latest: (u: OldUpload) => store.pathOf(u.client, u.name),
    /** Every name under .objects, sorted. */
    objectNames: () =>
      [...Deno.readDirSync(join(store.root, ".objects"))].flatMap((d) =>
        [...Deno.readDirSync(join(store.root, ".objects", d.name))]
          .map((e) => e.name)
      ).sort(),
    queued: () =>
      Number(
        db.handle.prepare("SELECT count(*) AS n FROM contents_sha256").get()!.n,
      ),
    /** The content address of each upload's version, in upload order. */
    addresses: () =>
      db.handle.prepare("SELECT Blake3 FROM versions ORDER BY VersionID").all()
        .map((row) => String(row.Blake3)),
    async [Symbol.asyncDispose]() {
      db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("readdressContents() moves each content, its versions and its object to its BLAKE3, latest names untouched", async () => {
  await using t = await setup();
  const inodes = LATEST.map((u) => Deno.statSync(t.latest(u)).ino);
  // Content garbage collected after migration 12 queued it: dropped.
  t.db.handle.prepare("INSERT INTO contents_sha256 VALUES (?)")
    .run(sha256("collected"));
  assert.deepEqual(await readdressContents(t.db, t.store), {
    readdressed: 3,
    deduplicated: 0,
    skipped: 0,
    bytes: 3 + 4 + 5,
  });
  assert.deepEqual(t.addresses(), UPLOADS.map((u) => blake3Hex(u.text)));
  assert.deepEqual(
    t.db.handle.prepare(
      "SELECT Blake3, Size, StoredSize, Compression, CreatedAt FROM contents ORDER BY Blake3",
    ).all().map((row) => ({ ...row })),
    TEXTS.map((text) => ({
      Blake3: blake3Hex(text),
      Size: text.length,
      StoredSize: text.length,
      Compression: null,
      CreatedAt: UPLOADS.find((u) => u.text === text)!.at,
    })).sort((a, b) => a.Blake3.localeCompare(b.Blake3)),
  );
  assert.deepEqual(t.objectNames(), TEXTS.map((s) => blake3Hex(s)).sort());
  for (const text of TEXTS) {
    const object = t.store.objects.objectPath(blake3Hex(text));
    assert.equal(Deno.readTextFileSync(object), text);
  }
  LATEST.forEach((u, i) => {
    const object = t.store.objects.objectPath(blake3Hex(u.text));
    assert.equal(Deno.readTextFileSync(t.latest(u)), u.text);
    assert.equal(Deno.statSync(t.latest(u)).ino, Deno.statSync(object).ino);
    assert.equal(Deno.statSync(t.latest(u)).ino, inodes[i]);
  });
  assert.equal(t.queued(), 0);
  assert.deepEqual(await readdressContents(t.db, t.store), NOTHING);
});

Deno.test("readdressContents() killed after linking, before its commit, loses nothing; the next run finishes", async () => {
  await using t = await setup();
  const killed: ReaddressDb = {
    readdress: t.db.readdress,
    transaction<T>(fn: () => T): T {
      return t.db.transaction(() => {
        fn();
        throw new Error("killed before the commit");
      });
    },
  };
  const report = await readdressContents(killed, t.store);
  assert.deepEqual(report, { ...NOTHING, skipped: 3 });
  // Rows as they were, readable at their SHA-256 names; the new names linked.
  assert.deepEqual(t.addresses(), UPLOADS.map((u) => sha256(u.text)));
  for (const u of UPLOADS) {
    const object = t.store.objects.objectPath(sha256(u.text));
    assert.equal(Deno.readTextFileSync(object), u.text);
  }
  assert.equal(t.objectNames().length, 6);
  assert.equal(t.queued(), 3);

  assert.deepEqual(await readdressContents(t.db, t.store), {
    readdressed: 3,
    deduplicated: 0,
    skipped: 0,
    bytes: 12,
  });
  assert.deepEqual(t.addresses(), UPLOADS.map((u) => blake3Hex(u.text)));
  assert.deepEqual(t.objectNames(), TEXTS.map((s) => blake3Hex(s)).sort());
  // Linked once: "both" is its object and three latest names.
  const links = (text: string) =>
    Deno.statSync(t.store.objects.objectPath(blake3Hex(text))).nlink;
  assert.deepEqual(TEXTS.map(links), [1, 4, 2]);
});

Deno.test("readdressContents() leaves a missing or damaged object's rows as they were, and takes them up once it is back", async () => {
  await using t = await setup();
  const [one, , , , bobs] = UPLOADS;
  const missing = t.store.objects.objectPath(sha256(bobs.text));
  Deno.removeSync(missing);
  const damaged = t.store.objects.objectPath(sha256(one.text));
  Deno.writeTextFileSync(damaged, "One");
  assert.deepEqual(await readdressContents(t.db, t.store), {
    readdressed: 1,
    deduplicated: 0,
    skipped: 2,
    bytes: 4,
  });
  assert.deepEqual(
    t.db.versions.list(BOB, "d.txt").map((v) => [v.number, v.blake3, v.size]),
    [[1, sha256(bobs.text), 5]],
  );
  assert.equal(t.db.versions.list(ALICE, "a.txt")[0].blake3, sha256("one"));
  assert.equal(Deno.readTextFileSync(t.latest(bobs)), bobs.text);
  assert.equal(t.queued(), 2);
  assert.deepEqual(await readdressContents(t.db, t.store), {
    ...NOTHING,
    skipped: 2,
  });

  Deno.linkSync(t.latest(bobs), missing);
  Deno.writeTextFileSync(damaged, "one");
  assert.deepEqual(await readdressContents(t.db, t.store), {
    readdressed: 2,
    deduplicated: 0,
    skipped: 0,
    bytes: 8,
  });
  assert.deepEqual(t.addresses(), UPLOADS.map((u) => blake3Hex(u.text)));
  assert.equal(t.queued(), 0);
});

Deno.test("readdressContents() merges a content already stored under its BLAKE3 into that row and object", async () => {
  await using t = await setup();
  const bobs = UPLOADS[4];
  // Uploaded again while its old object was missing: stored under BLAKE3.
  const address = blake3Hex(bobs.text);
  const object = t.store.objects.objectPath(address);
  Deno.mkdirSync(join(object, ".."), { recursive: true });
  Deno.writeTextFileSync(object, bobs.text);
  t.db.versions.add({
    clientId: BOB,
    fileName: "d.txt",
    size: 5,
    checksum: 7,
    blake3: address,
    transport: "tcp",
  }, "2026-01-06T00:00:00.000Z");
  const inode = Deno.statSync(object).ino;
  const report = await readdressContents(t.db, t.store);
  assert.deepEqual(report, {
    readdressed: 3,
    deduplicated: 1,
    skipped: 0,
    bytes: 12,
  });
  assert.deepEqual(
    t.db.versions.list(BOB, "d.txt").map((v) => v.blake3),
    [address, address],
  );
  assert.equal(Deno.statSync(object).ino, inode);
  assert.deepEqual(t.objectNames(), TEXTS.map((s) => blake3Hex(s)).sort());
});

Deno.test("an old name left by a kill after the commit is an orphan that garbage collection removes", async () => {
  await using t = await setup();
  await readdressContents(t.db, t.store);
  const both = t.store.objects.objectPath(blake3Hex("both"));
  const old = t.store.objects.objectPath(sha256("both"));
  Deno.mkdirSync(join(old, ".."), { recursive: true });
  Deno.linkSync(both, old);
  await collectGarbage(t.db, t.store, {
    by: { actor: "system", address: null },
    orphanGraceMs: 0,
  });
  assert.deepEqual(t.objectNames(), TEXTS.map((s) => blake3Hex(s)).sort());
  assert.equal(Deno.readTextFileSync(t.latest(UPLOADS[3])), "both");
  assert.equal(Deno.statSync(both).nlink, 4);
});
