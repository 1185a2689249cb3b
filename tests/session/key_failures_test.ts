/**
 * Forged uploads: ciphertext that does not decrypt under the session key
 * cuts the session off, counts against the client, and leaves no file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { decrypt, encrypt } from "../../server/crypto/aes_cbc.ts";
import { decryptKey } from "../../server/crypto/rsa_oaep.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import {
  KEY_FAILURE_LIMIT,
  KEY_FAILURE_WINDOW_MS,
} from "../../server/session/key_failures.ts";
import { HAS_PROC_FD, openFilesUnder } from "../open_fds.ts";
import { fixture, keyed, KEYS, packet } from "./fixture.ts";

/** The plaintext size a one-block forgery claims (padding of one byte). */
const FORGED_SIZE = 15;

/**
 * One block that does not decrypt under `key` (its padding is invalid).
 * Never the zero block: a packet 1 opening with it is read as the IV prefix
 * (docs/protocol.md, "Dialects") and refused for its size, not its key.
 */
function undecryptable(key: Uint8Array): Uint8Array {
  for (let i = 1;; i++) {
    const block = new Uint8Array(16).fill(i);
    try {
      decrypt(key, block);
    } catch {
      return block;
    }
  }
}

function tempEntries(dir: string): string[] {
  try {
    return [...Deno.readDirSync(join(dir, "received_files", ".tmp"))].map((e) =>
      e.name
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

Deno.test("an upload that does not decrypt is refused and leaves no temporary file, open or on disk", async () => {
  const f = await fixture();
  try {
    const { session, clientId, key } = await keyed(f.ctx, "alice");
    const answer = await session.handle(
      packet(clientId, "a.txt", undecryptable(key), FORGED_SIZE),
    );
    assert.equal(answer?.code, ResponseCode.SERVER_ERROR);
    assert.deepEqual(tempEntries(f.dir), []);
    // Only descriptors into this test's own folder: neighbours running in
    // parallel open and close theirs meanwhile.
    if (HAS_PROC_FD) {
      assert.deepEqual(openFilesUnder(join(f.dir, "received_files")), []);
    }
    await session.close();
  } finally {
    await f.close();
  }
});

Deno.test("after an upload fails to decrypt, the session may not upload again, not even after a reconnect on it", async () => {
  const f = await fixture();
  try {
    const { session, clientId, key } = await keyed(f.ctx, "bob");
    await session.handle(
      packet(clientId, "a.txt", undecryptable(key), FORGED_SIZE),
    );
    const honest = encrypt(key, new Uint8Array(100));
    const again = await session.handle(packet(clientId, "b.txt", honest, 100));
    assert.equal(again?.code, ResponseCode.SERVER_ERROR);
    const reconnected = await session.handle({
      code: RequestCode.RECONNECT,
      clientId,
      name: "bob",
    });
    assert.equal(reconnected?.code, ResponseCode.RECONNECT_OK);
    if (reconnected?.code !== ResponseCode.RECONNECT_OK) return;
    const newKey = decryptKey(KEYS.privateKey, reconnected.encryptedKey);
    const after = await session.handle(
      packet(clientId, "b.txt", encrypt(newKey, new Uint8Array(100)), 100),
    );
    assert.equal(after?.code, ResponseCode.SERVER_ERROR);
    await session.close();
    // A new session of the same client may upload: one failure is not the limit.
    const fresh = await keyed(f.ctx, "bob", clientId);
    const ok = await fresh.session.handle(
      packet(clientId, "b.txt", encrypt(fresh.key, new Uint8Array(100)), 100),
    );
    assert.equal(ok?.code, ResponseCode.FILE_RECEIVED);
    await fresh.session.close();
  } finally {
    await f.close();
  }
});

Deno.test(`a client with ${KEY_FAILURE_LIMIT} failures in a day gets no upload in any session until they age out`, async () => {
  const f = await fixture();
  try {
    const first = await keyed(f.ctx, "carol");
    const clientId = first.clientId;
    await first.session.close();
    for (let i = 0; i < KEY_FAILURE_LIMIT; i++) {
      const { session, key } = await keyed(f.ctx, "carol", clientId);
      const answer = await session.handle(
        packet(clientId, "x.txt", undecryptable(key), FORGED_SIZE),
      );
      assert.equal(answer?.code, ResponseCode.SERVER_ERROR);
      await session.close();
      f.clock.now += 3600_000;
    }
    const upload = async () => {
      const { session, key } = await keyed(f.ctx, "carol", clientId);
      const answer = await session.handle(
        packet(clientId, "y.txt", encrypt(key, new Uint8Array(10)), 10),
      );
      await session.close();
      return answer?.code;
    };
    assert.equal(await upload(), ResponseCode.SERVER_ERROR);
    assert.equal(f.ctx.db.clients.keyFailuresSince(clientId, "1970-01-01"), 3);
    // Another client is not affected.
    const dave = await keyed(f.ctx, "dave");
    const daves = await dave.session.handle(
      packet(dave.clientId, "y.txt", encrypt(dave.key, new Uint8Array(10)), 10),
    );
    assert.equal(daves?.code, ResponseCode.FILE_RECEIVED);
    await dave.session.close();
    // A day after the first failure, only two remain in the window.
    f.clock.now += KEY_FAILURE_WINDOW_MS - (KEY_FAILURE_LIMIT - 1) * 3600_000;
    assert.equal(await upload(), ResponseCode.FILE_RECEIVED);
  } finally {
    await f.close();
  }
});
