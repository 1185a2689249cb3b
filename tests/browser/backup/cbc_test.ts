/** The browser's chunked Web Crypto AES-CBC equals one pass of the server's cipher. */
import assert from "node:assert/strict";
import { encrypt } from "../../../server/crypto/aes_cbc.ts";
import { CbcEncryptor, importAesKey } from "../../../browser/backup/cbc.ts";
import { assertBytesEqual } from "../../bytes_assert.ts";

function bytes(size: number, seed: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 255);
}

async function chunked(
  raw: Uint8Array<ArrayBuffer>,
  plain: Uint8Array<ArrayBuffer>,
  chunk: number,
): Promise<Uint8Array> {
  const encryptor = new CbcEncryptor(await importAesKey(raw));
  const parts: Uint8Array[] = [];
  let at = 0;
  while (plain.length - at > chunk) {
    parts.push(await encryptor.update(plain.slice(at, at + chunk)));
    at += chunk;
  }
  parts.push(await encryptor.final(plain.slice(at)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

Deno.test("CbcEncryptor in chunks gives the same bytes as aes_cbc.ts encrypt()", async () => {
  const key = bytes(32, 7);
  for (const size of [0, 1, 15, 16, 17, 31, 32, 33, 4096, 65536 + 5, 100_000]) {
    const plain = bytes(size, size);
    const expected = encrypt(key, plain);
    for (const chunk of [16, 32, 48, 4096, 65536]) {
      assertBytesEqual(
        await chunked(key, plain, chunk),
        expected,
        `size ${size}, chunks of ${chunk}`,
      );
    }
  }
});

Deno.test("CbcEncryptor refuses unaligned middle chunks and chunks after the last", async () => {
  const encryptor = new CbcEncryptor(await importAesKey(bytes(32, 1)));
  await assert.rejects(() => encryptor.update(new Uint8Array(17)), RangeError);
  await encryptor.final(new Uint8Array(3));
  await assert.rejects(() => encryptor.final(new Uint8Array(3)), TypeError);
});
