import assert from "node:assert/strict";
import { blake3Hex, createBlake3 } from "../../server/crypto/blake3.ts";

const MiB = 1 << 20;

/** The input of the official BLAKE3 test vectors: byte i is i mod 251. */
function vectorInput(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i % 251);
}

// From test_vectors.json of the BLAKE3 reference repository (first 32 bytes
// of each extended output).
const VECTORS: [number, string][] = [
  [0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"],
  [1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"],
  [1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11"],
  [1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"],
  [1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"],
  [102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085"],
];

Deno.test("createBlake3() gives the reference test vectors", () => {
  for (const [length, expected] of VECTORS) {
    const hash = createBlake3();
    hash.update(vectorInput(length));
    assert.equal(hash.digest(), expected, `${length} bytes`);
  }
});

Deno.test("createBlake3() gives one digest over any chunking, interleaved streams and a reused buffer", () => {
  const input = vectorInput(3 * MiB + 12345);
  const whole = blake3Hex(input);
  for (const chunk of [1000, 4096, 65536 + 7, MiB - 1, 2 * MiB + 3]) {
    const hash = createBlake3();
    const other = createBlake3();
    const scratch = new Uint8Array(chunk);
    for (let at = 0; at < input.length; at += chunk) {
      const part = input.subarray(at, at + chunk);
      // The caller reuses its buffer once update() returns.
      scratch.set(part);
      hash.update(scratch.subarray(0, part.length));
      other.update(part.subarray(0, 1));
      scratch.fill(0xee);
    }
    assert.equal(hash.digest(), whole, `chunks of ${chunk}`);
    assert.notEqual(other.digest(), whole);
  }
});

Deno.test("blake3Hex() hashes a string as UTF-8", () => {
  assert.equal(
    blake3Hex("héllo"),
    blake3Hex(new TextEncoder().encode("héllo")),
  );
  assert.equal(blake3Hex(""), VECTORS[0][1]);
});
