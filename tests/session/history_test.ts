/**
 * Every verified upload is a version: a re-upload of a name never destroys
 * the earlier one, identical content is stored once (a hard link), and
 * quotas refuse what would exceed them at packet 1 and at the commit.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ResponseCode } from "../../server/protocol/constants.ts";
import { NO_POLICY } from "../../server/storage/sqlite/policies.ts";
import { fixture, keyed, oneFile } from "./fixture.ts";
import { blake3, tmpEmptied } from "../history/fixture.ts";

async function read(file: Deno.FsFile): Promise<string> {
  return await new Response(file.readable).text();
}

Deno.test("a re-upload of a name is a new version: the earlier one stays intact in its object", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    const doc = oneFile(alice, "doc.txt");
    await doc.send("the good copy");
    assert.equal((await doc.verdict())?.code, ResponseCode.ACK);
    await doc.send("CORRUPTED BY RANSOMWARE");
    assert.equal((await doc.verdict())?.code, ResponseCode.ACK);

    const { db, store } = f.ctx;
    const versions = db.versions.list(alice.clientId, "doc.txt");
    assert.deepEqual(
      versions.map((v) => [v.number, v.size, v.blake3, v.transport]),
      [
        [1, 13, blake3("the good copy"), "tcp"],
        [2, 23, blake3("CORRUPTED BY RANSOMWARE"), "tcp"],
      ],
    );
    assert.equal(
      await read(await store.objects.openObject(versions[0].blake3)),
      "the good copy",
    );
    // The latest name is the newest version, a hard link to its object.
    const path = store.pathOf(alice.clientId, "doc.txt");
    assert.equal(await Deno.readTextFile(path), "CORRUPTED BY RANSOMWARE");
    assert.equal(
      Deno.statSync(path).ino,
      Deno.statSync(store.objects.objectPath(versions[1].blake3)).ino,
    );
    const row = db.files.of(alice.clientId, "doc.txt");
    assert.equal(row?.size, 23);
    assert.equal(row?.pathName, path);
    assert.equal(versions[1].dialect !== null, true);
    await alice.session.close();
  } finally {
    await f.close();
  }
});

Deno.test("identical content under two names and two clients is stored once, as hard links of one object", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    const bob = await keyed(f.ctx, "bob");
    const text = "the same bytes ".repeat(1000);
    for (
      const [client, name] of [[alice, "a.txt"], [alice, "b.txt"], [
        bob,
        "a.txt",
      ]] as const
    ) {
      const file = oneFile(client, name);
      await file.send(text);
      assert.equal((await file.verdict())?.code, ResponseCode.ACK);
    }
    const { db, store } = f.ctx;
    const object = store.objects.objectPath(blake3(text));
    // The object and the three names: one inode, four links.
    assert.equal(Deno.statSync(object).nlink, 4);
    for (
      const [client, name] of [[alice, "a.txt"], [alice, "b.txt"], [
        bob,
        "a.txt",
      ]] as const
    ) {
      const path = store.pathOf(client.clientId, name);
      assert.equal(Deno.statSync(path).ino, Deno.statSync(object).ino);
    }
    assert.deepEqual(db.versions.totals(), {
      versions: 3,
      logicalBytes: 3 * text.length,
      storedBytes: text.length,
    });
    assert.equal(
      [...Deno.readDirSync(
        join(store.root, ".objects", blake3(text).slice(0, 2)),
      )]
        .length,
      1,
    );
    await tmpEmptied(store.root);
    await alice.session.close();
    await bob.session.close();
  } finally {
    await f.close();
  }
});

Deno.test("an upload over the client's byte quota gets 1607 at packet 1, its transfer says why", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    const { db } = f.ctx;
    db.policies.set("*", { ...NO_POLICY, quotaBytes: 10 }, "2026-01-01Z");
    db.policies.set(
      alice.clientId,
      { ...NO_POLICY, quotaBytes: 20 },
      "2026-01-01Z",
    );
    const doc = oneFile(alice, "doc.txt");
    await doc.send("twelve bytes");
    assert.equal((await doc.verdict())?.code, ResponseCode.ACK);
    // 12 kept + 9 > 20 (the client's own quota, not the default's 10).
    assert.equal(
      (await doc.send("nine byte"))?.code,
      ResponseCode.SERVER_ERROR,
    );
    const [transfer] = db.transfers.list({ outcome: "aborted" }).rows;
    assert.match(
      transfer.error ?? "",
      /over quota: 12 bytes kept \+ 9 would exceed the quota of 20 bytes/,
    );
    assert.equal(db.versions.list(alice.clientId, "doc.txt").length, 1);
    // Counted before dedup: the same content again, which would cost no
    // space, still counts in full (12 + 12 > 20).
    assert.equal(
      (await doc.send("twelve bytes"))?.code,
      ResponseCode.SERVER_ERROR,
    );
    assert.equal(
      (await doc.send("eight by"))?.code,
      ResponseCode.FILE_RECEIVED,
    );
    assert.equal((await doc.verdict())?.code, ResponseCode.ACK);
    assert.deepEqual(db.versions.usage(alice.clientId), {
      versions: 2,
      bytes: 20,
    });
    await alice.session.close();
  } finally {
    await f.close();
  }
});

Deno.test("the quota is checked again at the commit: a file that no longer fits is dropped with 1607", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    const { db, store } = f.ctx;
    db.policies.set("*", { ...NO_POLICY, quotaVersions: 1 }, "2026-01-01Z");
    const a = oneFile(alice, "a.txt");
    const b = oneFile(alice, "b.txt");
    assert.equal((await a.send("first"))?.code, ResponseCode.FILE_RECEIVED);
    // Another session of the same client stores a version meanwhile.
    const again = await keyed(f.ctx, "alice", alice.clientId);
    const other = oneFile(again, "b.txt");
    await other.send("second");
    assert.equal((await other.verdict())?.code, ResponseCode.ACK);
    assert.equal((await a.verdict())?.code, ResponseCode.SERVER_ERROR);
    assert.equal(db.versions.list(alice.clientId, "a.txt").length, 0);
    assert.equal(db.files.of(alice.clientId, "a.txt"), undefined);
    const failed = db.transfers.list({ outcome: "aborted" }).rows;
    assert.match(
      failed[0].error ?? "",
      /over quota: 1 versions kept, the quota is 1/,
    );
    assert.deepEqual([...Deno.readDirSync(join(store.root, ".tmp"))], []);
    assert.equal((await b.send("third"))?.code, ResponseCode.SERVER_ERROR);
    await alice.session.close();
    await again.session.close();
  } finally {
    await f.close();
  }
});

Deno.test("the same content uploaded again under its name is a new version and leaves no temporary name", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    const doc = oneFile(alice, "doc.txt");
    for (let i = 0; i < 2; i++) {
      await doc.send("unchanged");
      assert.equal((await doc.verdict())?.code, ResponseCode.ACK);
    }
    const { db, store } = f.ctx;
    assert.deepEqual(
      db.versions.list(alice.clientId, "doc.txt").map((v) => v.number),
      [1, 2],
    );
    const path = store.pathOf(alice.clientId, "doc.txt");
    assert.equal(Deno.statSync(path).nlink, 2);
    await tmpEmptied(store.root);
    await alice.session.close();
  } finally {
    await f.close();
  }
});
