/**
 * A refused 1028 ends the upload it belongs to, and also the file that
 * waits for its verdict: that file's transfer is closed, so a later 1029
 * must not store it unrecorded.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { fixture, keyed, packet } from "./fixture.ts";

const encoder = new TextEncoder();

Deno.test("a refused 1028 while a file waits for its verdict drops that file: the later 1029 stores nothing", async () => {
  const f = await fixture();
  try {
    const { session, clientId, key } = await keyed(f.ctx, "alice");
    const upload = (text: string) => {
      const data = encoder.encode(text);
      return session.handle(
        packet(clientId, "a.txt", encrypt(key, data), data.length),
      );
    };
    const verdict = () =>
      session.handle({ code: RequestCode.CRC_OK, clientId, fileName: "a.txt" });
    assert.equal((await upload("old copy"))?.code, ResponseCode.FILE_RECEIVED);
    assert.equal((await verdict())?.code, ResponseCode.ACK);
    assert.equal(
      (await upload("new, longer copy"))?.code,
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
    assert.equal(f.ctx.db.fileOf(clientId, "a.txt")?.size, 8);
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
