/**
 * 1026 after a reconnect: id and name travel in clear, so a session that
 * only reconnected a client must not replace its public key.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { fixture, keyed, KEYS } from "./fixture.ts";

Deno.test("a session that reconnected a client cannot replace its public key", async () => {
  const f = await fixture();
  try {
    const owner = await keyed(f.ctx, "alice");
    await owner.session.close();
    const intruder = await keyed(f.ctx, "alice", owner.clientId);
    const answer = await intruder.session.handle({
      code: RequestCode.SEND_PUBLIC_KEY,
      clientId: owner.clientId,
      name: "alice",
      publicKey: generateKeyPair().publicKey,
    });
    assert.equal(answer?.code, ResponseCode.SERVER_ERROR);
    assert.deepEqual(
      f.ctx.db.clients.byId(owner.clientId)?.publicKey,
      KEYS.publicKey,
    );
    await intruder.session.close();
  } finally {
    await f.close();
  }
});

Deno.test("the session that registered a client may send its key again", async () => {
  const f = await fixture();
  try {
    const { session, clientId } = await keyed(f.ctx, "bob");
    const again = await session.handle({
      code: RequestCode.SEND_PUBLIC_KEY,
      clientId,
      name: "bob",
      publicKey: KEYS.publicKey,
    });
    assert.equal(again?.code, ResponseCode.AES_KEY);
    await session.close();
  } finally {
    await f.close();
  }
});
