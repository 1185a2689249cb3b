import assert from "node:assert/strict";
import { cksum, cksumBackend } from "../../server/crypto/cksum.ts";
import { CksumOver, finish, updateJs } from "../../server/crypto/crc32.ts";
import { createIsalUpdate } from "../../server/crypto/crc32_isal.ts";
import { createWasmUpdate } from "../../server/crypto/crc32_wasm.ts";

function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, at + 65536));
  }
  return bytes;
}

/** Bit-at-a-time register update, straight from the definition. */
function referenceUpdate(crc: number, bytes: Uint8Array): number {
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let k = 0; k < 8; k++) {
      crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    }
  }
  return crc | 0;
}

const wasmUpdate = createWasmUpdate();
// Optional: .ci/run installs libisal2, a bare machine may not have it.
const isalUpdate = createIsalUpdate();
const IMPLEMENTATIONS = [
  ["TypeScript", updateJs],
  ["WebAssembly", wasmUpdate!],
  ...(isalUpdate ? [["ISA-L", isalUpdate] as const] : []),
] as const;

Deno.test("cksum uses ISA-L where it loads, else the WebAssembly CRC", () => {
  assert.ok(wasmUpdate);
  assert.equal(cksumBackend(), isalUpdate ? "isa-l" : "wasm");
});

Deno.test({
  name:
    "ISA-L CRC agrees with WebAssembly on a 20 MiB buffer fed in odd pieces",
  ignore: !isalUpdate,
  fn() {
    const bytes = randomBytes(20 * 1024 * 1024 + 7);
    let a = 0;
    let b = 0;
    let step = 1;
    for (let at = 0; at < bytes.length; at += step) {
      step = Math.min(step * 3 + 1, 3_000_017);
      const part = bytes.subarray(at, at + step);
      a = isalUpdate!(a, part);
      b = wasmUpdate!(b, part);
    }
    assert.equal(a, b);
  },
});

for (const [label, update] of IMPLEMENTATIONS) {
  Deno.test(`${label} CRC matches the bitwise definition at every size and alignment up to 300 bytes`, () => {
    const buffer = randomBytes(320);
    for (let offset = 0; offset < 8; offset++) {
      for (let size = 0; size <= 300; size++) {
        const bytes = buffer.subarray(offset, offset + size);
        for (const start of [0, 0x1234567, -1]) {
          assert.equal(
            update(start, bytes),
            referenceUpdate(start, bytes),
            `offset ${offset}, size ${size}, start ${start}`,
          );
        }
      }
    }
  });

  Deno.test(`${label} CRC matches the definition across 64 KiB window edges`, () => {
    const buffer = randomBytes(3 * 65536 + 40);
    for (const size of [65535, 65536, 65537, 2 * 65536 + 17, 3 * 65536 + 33]) {
      const bytes = buffer.subarray(5, 5 + size);
      assert.equal(update(7, bytes), referenceUpdate(7, bytes), `size ${size}`);
    }
  });
}

Deno.test("finish() appends the length in the fewest bytes and complements", () => {
  assert.equal(finish(0, 0), 0xffffffff);
  // Length bytes are data: finishing after n bytes equals feeding n's bytes.
  for (const length of [1, 255, 256, 65536, 2 ** 32 + 5, 2 ** 53 - 1]) {
    const lengthBytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) {
      lengthBytes.push(n % 256);
    }
    const crc = 0x0badf00d;
    const expected = ~referenceUpdate(crc, Uint8Array.from(lengthBytes)) >>> 0;
    assert.equal(finish(crc, length), expected, `length ${length}`);
  }
});

Deno.test("CksumOver() with the TypeScript update gives what cksum() gives, fed in uneven pieces", () => {
  const data = randomBytes(100_003);
  const sum = new CksumOver();
  for (let at = 0; at < data.length; at += 4_097) {
    sum.update(data.subarray(at, at + 4_097));
  }
  assert.equal(sum.length, data.length);
  assert.equal(sum.digest(), cksum(data));
  assert.equal(
    new CksumOver(referenceUpdate).update(data).digest(),
    cksum(data),
  );
});
