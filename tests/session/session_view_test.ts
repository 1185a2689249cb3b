/**
 * What a transport reads of a session: the reason that comes with a 1607,
 * and the read-only view of identity, key, upload and pending verdict.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { fixture, keyed, packet } from "./fixture.ts";

Deno.test("serve() says why a request got 1607: refused for the request's fault, failed for the server's", async () => {
  const f = await fixture();
  try {
    const { session, clientId, key } = await keyed(f.ctx, "alice");
    const stray = packet(clientId, "b.txt", new Uint8Array(16), 10);
    const refused = await session.serve({ ...stray, packetNumber: 2 });
    assert.equal(refused.response?.code, ResponseCode.SERVER_ERROR);
    assert.equal(refused.refusal?.cause, "refused");
    assert.match(refused.refusal.message, /no upload was started/);

    const data = new TextEncoder().encode("content");
    const received = await session.serve(
      packet(clientId, "d.txt", encrypt(key, data), data.length),
    );
    assert.equal(received.response?.code, ResponseCode.FILE_RECEIVED);
    assert.equal(received.refusal, undefined);
    // A directory where the file should go makes the server fail the rename.
    await Deno.mkdir(join(f.ctx.store.pathOf(clientId, "d.txt"), "inner"), {
      recursive: true,
    });
    const failed = await session.serve({
      code: RequestCode.CRC_OK,
      clientId,
      fileName: "d.txt",
    });
    assert.equal(failed.response?.code, ResponseCode.SERVER_ERROR);
    assert.equal(failed.refusal?.cause, "failed");
    await session.close();
  } finally {
    await f.close();
  }
});

Deno.test("the view follows identity, key, upload progress and the file awaiting a verdict", async () => {
  const f = await fixture();
  try {
    const { session, clientId, key } = await keyed(f.ctx, "bob");
    assert.equal(session.view.identity?.name, "bob");
    assert.deepEqual(session.view.identity?.clientId, clientId);
    assert.deepEqual(session.view.aesKey, key);
    assert.equal(session.view.upload, undefined);

    const data = new TextEncoder().encode("x".repeat(40));
    const cipher = encrypt(key, data);
    const first = packet(clientId, "v.txt", cipher.subarray(0, 32), 40);
    const header = { ...first, totalPackets: 2, contentSize: cipher.length };
    const accepted = await session.handle(header);
    assert.equal(accepted, undefined);
    assert.deepEqual(session.view.upload, {
      fileName: "v.txt",
      totalPackets: 2,
      origFileSize: 40,
      nextPacket: 2,
    });
    assert.equal(session.view.awaitingVerdict, undefined);

    const last = packet(clientId, "v.txt", cipher.subarray(32), 40);
    const done = await session.handle({
      ...last,
      packetNumber: 2,
      totalPackets: 2,
      contentSize: cipher.length,
    });
    assert.equal(done?.code, ResponseCode.FILE_RECEIVED);
    assert.equal(session.view.upload, undefined);
    assert.equal(session.view.awaitingVerdict, "v.txt");

    await session.handle({
      code: RequestCode.CRC_OK,
      clientId,
      fileName: "v.txt",
    });
    assert.equal(session.view.awaitingVerdict, undefined);
    await session.close();
  } finally {
    await f.close();
  }
});
