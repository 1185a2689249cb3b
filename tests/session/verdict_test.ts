/**
 * 1029 stores the file and its record together: when the database refuses
 * the record, the previous copy stays and the client's retry succeeds.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import type { Database } from "../../server/storage/database.ts";
import { fixture, keyed, oneFile, packet } from "./fixture.ts";

const encoder = new TextEncoder();

/**
 * Makes the next transaction fail at its commit, as when the log cannot be
 * written (EIO, EPERM): its statements run, then roll back; `before` runs
 * just before the failure.
 */
function failNextCommit(db: Database, before = () => {}): void {
  const real = db.transaction.bind(db);
  db.transaction = <T>(fn: () => T): T => {
    db.transaction = real;
    db.handle.exec("BEGIN IMMEDIATE");
    fn();
    db.handle.exec("ROLLBACK");
    before();
    throw new Error("Cannot commit transaction: disk I/O error");
  };
}

Deno.test("a 1029 while another process holds the write lock gets 1607, keeps the old copy, and its retry stores the file", async () => {
  const f = await fixture({ busyTimeoutMs: 50 });
  try {
    const alice = await keyed(f.ctx, "alice");
    const { session, clientId } = alice;
    const { send, verdict } = oneFile(alice, "a.txt");
    const received = async (text: string) =>
      assert.equal((await send(text))?.code, ResponseCode.FILE_RECEIVED);
    await received("old copy");
    assert.equal((await verdict())?.code, ResponseCode.ACK);
    const path = f.ctx.store.pathOf(clientId, "a.txt");

    await received("new copy");
    const other = new DatabaseSync(join(f.dir, "defensive.db"));
    other.exec("BEGIN IMMEDIATE");
    try {
      assert.equal((await verdict())?.code, ResponseCode.SERVER_ERROR);
      assert.equal(await Deno.readTextFile(path), "old copy");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    const temps = [...Deno.readDirSync(join(f.dir, "received_files", ".tmp"))];
    assert.equal(temps.length, 1, "the new copy waits, ready");

    assert.equal((await verdict())?.code, ResponseCode.ACK);
    assert.equal(await Deno.readTextFile(path), "new copy");
    const row = f.ctx.db.files.of(clientId, "a.txt");
    assert.equal(row?.size, 8);
    assert.equal(row?.verified, true);
    const transfers = f.ctx.db.handle.prepare(
      "SELECT Outcome FROM transfers ORDER BY TransferID",
    ).all().map((r) => r.Outcome);
    assert.deepEqual(transfers, ["verified", "verified"]);
    assert.deepEqual([
      ...Deno.readDirSync(join(f.dir, "received_files", ".tmp")),
    ], []);
    await session.close();
  } finally {
    await f.close();
  }
});

Deno.test("a 1029 whose rename fails rolls the record back and leaves no temporary file", async () => {
  const f = await fixture();
  try {
    const { session, clientId, key } = await keyed(f.ctx, "bob");
    const data = encoder.encode("content");
    await session.handle(
      packet(clientId, "d.txt", encrypt(key, data), data.length),
    );
    // A directory where the file should go makes the rename fail.
    const path = f.ctx.store.pathOf(clientId, "d.txt");
    await Deno.mkdir(join(path, "inner"), { recursive: true });
    const answer = await session.handle({
      code: RequestCode.CRC_OK,
      clientId,
      fileName: "d.txt",
    });
    assert.equal(answer?.code, ResponseCode.SERVER_ERROR);
    assert.equal(f.ctx.db.files.of(clientId, "d.txt"), undefined);
    assert.deepEqual([
      ...Deno.readDirSync(join(f.dir, "received_files", ".tmp")),
    ], []);
    // Nothing waits any more: a retry is refused.
    const retry = await session.handle({
      code: RequestCode.CRC_OK,
      clientId,
      fileName: "d.txt",
    });
    assert.equal(retry?.code, ResponseCode.SERVER_ERROR);
    await session.close();
    const [row] = f.ctx.db.handle.prepare(
      "SELECT Outcome FROM transfers",
    ).all();
    assert.equal(row.Outcome, "aborted");
  } finally {
    await f.close();
  }
});

Deno.test("a 1029 whose commit fails after the rename puts the previous copy back, and its retry stores the file", async () => {
  const f = await fixture();
  try {
    const carol = await keyed(f.ctx, "carol");
    const { session, clientId } = carol;
    const { send, verdict } = oneFile(carol, "c.txt");
    await send("previous");
    assert.equal((await verdict())?.code, ResponseCode.ACK);
    await send("replacement");
    const db = f.ctx.db;
    failNextCommit(db);
    assert.equal((await verdict())?.code, ResponseCode.SERVER_ERROR);
    const path = f.ctx.store.pathOf(clientId, "c.txt");
    assert.equal(await Deno.readTextFile(path), "previous");
    assert.equal(db.files.of(clientId, "c.txt")?.size, 8);
    assert.equal((await verdict())?.code, ResponseCode.ACK);
    assert.equal(await Deno.readTextFile(path), "replacement");
    assert.equal(db.files.of(clientId, "c.txt")?.size, 11);
    assert.deepEqual([
      ...Deno.readDirSync(join(f.dir, "received_files", ".tmp")),
    ], []);
    await session.close();
  } finally {
    await f.close();
  }
});

Deno.test("a 1029 whose commit fails and whose upload cannot move back still puts the previous copy back", async () => {
  const f = await fixture();
  try {
    const dave = await keyed(f.ctx, "dave");
    const { session, clientId } = dave;
    const { send, verdict } = oneFile(dave, "e.txt");
    await send("previous");
    assert.equal((await verdict())?.code, ResponseCode.ACK);
    await send("replacement");
    const temps = join(f.dir, "received_files", ".tmp");
    const db = f.ctx.db;
    failNextCommit(db, () => {
      // The upload's temporary name gets taken, so unpublish() cannot
      // rename the upload back there (as when .tmp is full or failing).
      const kept = [...Deno.readDirSync(temps)].find((e) =>
        e.name.endsWith(".previous")
      );
      const temp = join(temps, kept!.name.slice(0, -".previous".length));
      Deno.mkdirSync(join(temp, "obstacle"), { recursive: true });
    });
    assert.equal((await verdict())?.code, ResponseCode.SERVER_ERROR);
    const path = f.ctx.store.pathOf(clientId, "e.txt");
    assert.equal(await Deno.readTextFile(path), "previous");
    assert.equal(db.files.of(clientId, "e.txt")?.size, 8);
    // The upload is gone: nothing waits for a retry.
    assert.equal((await verdict())?.code, ResponseCode.SERVER_ERROR);
    await session.close();
    const outcomes = db.handle.prepare(
      "SELECT Outcome FROM transfers ORDER BY TransferID",
    ).all().map((r) => r.Outcome);
    assert.deepEqual(outcomes, ["verified", "aborted"]);
    // And so after the next start, which empties the temporary folder.
    assert.equal(db.transfers.interruptUnfinished(f.ctx.now!()), 0);
    await f.ctx.store.removeLeftovers();
    assert.equal(await Deno.readTextFile(path), "previous");
  } finally {
    await f.close();
  }
});
