/**
 * A refused 1028 ends the upload it belongs to, and also the file that
 * waits for its verdict: that file's transfer is closed, so a later 1029
 * must not store it unrecorded.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ResponseCode } from "../../server/protocol/constants.ts";
import { fixture, keyed, oneFile, packet } from "./fixture.ts";

Deno.test("a refused 1028 while a file waits for its verdict drops that file: the later 1029 stores nothing", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    const { session, clientId } = alice;
    const { send, verdict } = oneFile(alice, "a.txt");
    assert.equal((await send("old copy"))?.code, ResponseCode.FILE_RECEIVED);
    assert.equal((await verdict())?.code, ResponseCode.ACK);
    assert.equal(
      (await send("new, longer copy"))?.code,
      ResponseCode.FILE_RECEIVED,
    );

    // Packet 2 of an upload never started: refused.
    const stray = packet(clientId, "b.txt", new Uint8Array(16), 10);
    const refused = await session.handle({
      ...stray,
      packetNumber: 2,
      totalPackets: 3,
    });
    assert.equal(refused?.code, ResponseCode.SERVER_ERROR);

    assert.equal((await verdict())?.code, ResponseCode.SERVER_ERROR);
    const path = f.ctx.store.pathOf(clientId, "a.txt");
    assert.equal(await Deno.readTextFile(path), "old copy");
    assert.equal(f.ctx.db.files.of(clientId, "a.txt")?.size, 8);
    const outcomes = f.ctx.db.handle.prepare(
      "SELECT Outcome FROM transfers ORDER BY TransferID",
    ).all().map((r) => r.Outcome);
    assert.deepEqual(outcomes, ["verified", "aborted"]);
    assert.deepEqual([
      ...Deno.readDirSync(join(f.dir, "received_files", ".tmp")),
    ], []);
    await session.close();
  } finally {
    await f.close();
  }
});
