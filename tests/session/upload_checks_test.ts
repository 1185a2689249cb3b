/**
 * What the server checks of an upload and cleans up after it, each named on
 * its own: a plaintext shorter than announced, packets out of order, and the
 * temporary file (and its descriptor) of a file the client turns down with
 * 1030 or 1031.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { HAS_PROC_FD, openFilesUnder } from "../open_fds.ts";
import { fixture, keyed, packet } from "./fixture.ts";

function temporaryFiles(dir: string): string[] {
  try {
    return [...Deno.readDirSync(join(dir, "received_files", ".tmp"))]
      .map((e) => e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Descriptors open into the fixture's file store (never the database's). */
function storeFds(dir: string): string[] {
  return HAS_PROC_FD ? openFilesUnder(join(dir, "received_files")) : [];
}

Deno.test("valid ciphertext whose plaintext is shorter than the announced size is refused and stores nothing", async () => {
  const f = await fixture();
  try {
    const { session, clientId, key } = await keyed(f.ctx, "alice");
    // 10 bytes encrypt to one block, which also fits the announced 15.
    const cipher = encrypt(key, new Uint8Array(10).fill(1));
    assert.equal(cipher.length, 16);
    const answer = await session.handle(packet(clientId, "a.txt", cipher, 15));
    assert.equal(answer?.code, ResponseCode.SERVER_ERROR);
    assert.equal(f.ctx.db.files.of(clientId, "a.txt"), undefined);
    assert.deepEqual(temporaryFiles(f.dir), []);
    const verdict = await session.handle({
      code: RequestCode.CRC_OK,
      clientId,
      fileName: "a.txt",
    });
    assert.equal(verdict?.code, ResponseCode.SERVER_ERROR, "nothing to verify");
    await session.close();
  } finally {
    await f.close();
  }
});

Deno.test("a packet out of order is refused at once, not taken as the next one", async () => {
  const f = await fixture();
  try {
    const { session, clientId, key } = await keyed(f.ctx, "bob");
    const data = new Uint8Array(40).fill(2);
    const cipher = encrypt(key, data);
    const part = (n: number, packetNumber: number) => ({
      ...packet(clientId, "b.bin", cipher.subarray((n - 1) * 16, n * 16), 40),
      contentSize: cipher.length,
      packetNumber,
      totalPackets: 3,
    });
    assert.equal(await session.handle(part(1, 1)), undefined);
    assert.equal(await session.handle(part(2, 2)), undefined);
    // Packet 2 again where 3 is due: same size, so only the order tells.
    const repeated = await session.handle(part(3, 2));
    assert.equal(repeated?.code, ResponseCode.SERVER_ERROR);
    assert.deepEqual(temporaryFiles(f.dir), []);
    const failures = f.ctx.db.clients.keyFailuresSince(clientId, "1970-01-01");
    assert.equal(failures, 0, "an order error is not blamed on the key");
    await session.close();
  } finally {
    await f.close();
  }
});

for (
  const [code, name] of [[RequestCode.CRC_RETRY, "1030"], [
    RequestCode.CRC_ABORT,
    "1031",
  ]] as const
) {
  Deno.test(`a ${name} deletes the received file's temporary copy and closes its descriptor`, async () => {
    const f = await fixture();
    try {
      const { session, clientId, key } = await keyed(f.ctx, "carol");
      const data = new Uint8Array(1000).fill(3);
      const received = await session.handle(
        packet(clientId, "c.bin", encrypt(key, data), data.length),
      );
      assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
      // The file waits for its verdict: one temporary file, open.
      assert.equal(temporaryFiles(f.dir).length, 1);
      if (HAS_PROC_FD) assert.equal(storeFds(f.dir).length, 1);
      const answer = await session.handle({
        code,
        clientId,
        fileName: "c.bin",
      });
      if (code === RequestCode.CRC_ABORT) {
        assert.equal(answer?.code, ResponseCode.ACK);
      }
      assert.deepEqual(temporaryFiles(f.dir), []);
      assert.deepEqual(storeFds(f.dir), []);
      assert.equal(f.ctx.db.files.of(clientId, "c.bin"), undefined);
      await session.close();
    } finally {
      await f.close();
    }
  });
}
