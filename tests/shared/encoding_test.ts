import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  fromBase64,
  fromHex,
  toBase64,
  toBase64Url,
  toHex,
} from "../../shared/encoding.ts";

Deno.test("fromBase64() reads back what toBase64() writes", () => {
  assert.deepEqual(
    fromBase64(toBase64(new Uint8Array([1, 2, 3]))),
    new Uint8Array([1, 2, 3]),
  );
});

Deno.test("toBase64() and toBase64Url() agree with node:buffer on both sides of the chunk size", () => {
  const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
  for (const length of [0, 1, 2, 3, 4, 255, 0x8000, 0x8001, 70_000]) {
    const part = bytes.subarray(0, length);
    assert.equal(toBase64(part), Buffer.from(part).toString("base64"));
    assert.equal(toBase64Url(part), Buffer.from(part).toString("base64url"));
  }
});

Deno.test("fromBase64() takes missing padding and refuses what is not base64", () => {
  assert.deepEqual(fromBase64("AQID"), new Uint8Array([1, 2, 3]));
  assert.deepEqual(fromBase64("AQI"), new Uint8Array([1, 2]));
  assert.deepEqual(fromBase64(""), new Uint8Array(0));
  for (const bad of ["not base64!", "A", "AQIDB", "ab=", "A===", "AQ-_"]) {
    assert.throws(() => fromBase64(bad), SyntaxError, bad);
  }
});

Deno.test("toHex() and fromHex() turn bytes into lowercase hex and back", () => {
  assert.equal(toHex(new Uint8Array([0, 15, 16, 255])), "000f10ff");
  assert.deepEqual(fromHex("000F10ff"), new Uint8Array([0, 15, 16, 255]));
  assert.deepEqual(fromHex(""), new Uint8Array(0));
  for (const bad of ["0", "0g", "abc", " 00"]) {
    assert.throws(() => fromHex(bad), SyntaxError, bad);
  }
});
