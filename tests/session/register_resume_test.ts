/**
 * Who may register again under an existing id: a client whose key exchange
 * was cut off, or a re-keyed one within its window; never, with only the
 * name and id (both sent in clear), a client that has history.
 */
import assert from "node:assert/strict";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { Session } from "../../server/session/session.ts";
import { REKEY_WINDOW_MS } from "../../server/storage/sqlite/clients.ts";
import { fixture, keyed, oneFile } from "./fixture.ts";

function registerAs(session: Session, id: Uint8Array, name: string) {
  return session.handle({ code: RequestCode.REGISTER, clientId: id, name });
}

Deno.test("a client with history is resumed under its id only within the re-key window", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    const doc = oneFile(alice, "doc.txt");
    await doc.send("history");
    assert.equal((await doc.verdict())?.code, ResponseCode.ACK);
    const id = alice.clientId;

    // With its key on file, nobody registers under its id.
    const early = await registerAs(new Session(f.ctx), id, "alice");
    assert.equal(early?.code, ResponseCode.REGISTER_FAILED);

    // Re-keyed: the owner has REKEY_WINDOW_MS to come back.
    const now = new Date(f.clock.now).toISOString();
    assert.equal(f.ctx.db.clients.rekey(id, now), true);
    f.clock.now += REKEY_WINDOW_MS + 1000;
    const late = await registerAs(new Session(f.ctx), id, "alice");
    assert.equal(late?.code, ResponseCode.REGISTER_FAILED);

    // A second re-key opens a new window; within it the id comes back.
    f.ctx.db.clients.setKeys(id, {
      publicKey: new Uint8Array(160).fill(1),
      aesKey: new Uint8Array(32),
    }, new Date(f.clock.now).toISOString());
    f.ctx.db.clients.rekey(id, new Date(f.clock.now).toISOString());
    f.clock.now += REKEY_WINDOW_MS - 1000;
    const inTime = await registerAs(new Session(f.ctx), id, "alice");
    assert.equal(inTime?.code, ResponseCode.REGISTER_OK);
    if (inTime?.code !== ResponseCode.REGISTER_OK) return;
    assert.deepEqual(inTime.clientId, id);
  } finally {
    await f.close();
  }
});

Deno.test("a client whose key exchange was cut off gets its id back with no re-key", async () => {
  const f = await fixture();
  try {
    const first = await registerAs(
      new Session(f.ctx),
      new Uint8Array(16),
      "bob",
    );
    assert.equal(first?.code, ResponseCode.REGISTER_OK);
    if (first?.code !== ResponseCode.REGISTER_OK) return;
    const again = await registerAs(new Session(f.ctx), first.clientId, "bob");
    assert.equal(again?.code, ResponseCode.REGISTER_OK);
  } finally {
    await f.close();
  }
});
