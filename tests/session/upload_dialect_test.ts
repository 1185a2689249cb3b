/**
 * The session streams every upload dialect however the transport splits
 * packet 1: the IV prefix may arrive a byte at a time.
 */
import assert from "node:assert/strict";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import type { FilePacketRequest } from "../../server/protocol/messages.ts";
import { fixture, keyed } from "./fixture.ts";

/** A 1028 whose content the transport yields in chunks of `chunk` bytes. */
function chunked(
  base: Omit<FilePacketRequest, "content" | "contentLength" | "code">,
  content: Uint8Array,
  chunk: number,
): FilePacketRequest {
  return {
    ...base,
    code: RequestCode.SEND_FILE,
    contentLength: content.length,
    content: (async function* () {
      for (let i = 0; i < content.length; i += chunk) {
        // A fresh copy each time: the transport reuses its buffer.
        yield content.slice(i, i + chunk);
      }
    })(),
  };
}

Deno.test("a prefixed upload is received whole whether packet 1 arrives in chunks of 1, 7 or 20 bytes", async () => {
  const f = await fixture();
  try {
    const { session, clientId, key } = await keyed(f.ctx, "chunky");
    const data = new TextEncoder().encode(
      "forty-two bytes of text to back up, really",
    );
    const wire = new Uint8Array(16 + 48);
    wire.set(encrypt(key, data), 16);
    for (const chunk of [1, 7, 20]) {
      for (const per of [false, true]) {
        // Per packet: packet 1 of 30 bytes, packet 2 of 34; total: 64 in each.
        const parts = [wire.subarray(0, 30), wire.subarray(30)];
        let answer;
        for (const [i, part] of parts.entries()) {
          answer = await session.handle(chunked(
            {
              clientId,
              contentSize: per ? part.length : wire.length,
              origFileSize: data.length,
              packetNumber: i + 1,
              totalPackets: 2,
              fileName: "chunky.txt",
            },
            part,
            chunk,
          ));
        }
        assert.equal(answer?.code, ResponseCode.FILE_RECEIVED, `${chunk}`);
        if (answer?.code !== ResponseCode.FILE_RECEIVED) return;
        assert.equal(answer.checksum, cksum(data));
        assert.equal(answer.contentSize, data.length);
      }
    }
    await session.close();
  } finally {
    await f.close();
  }
});
