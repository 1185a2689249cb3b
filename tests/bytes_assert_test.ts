import assert from "node:assert/strict";
import { assertBytesEqual, firstDifference } from "./bytes_assert.ts";

function failure(fn: () => void): Error {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail("expected an error");
}

Deno.test("assertBytesEqual fails fast on 5 MiB and names lengths, first differing offset and digests", () => {
  const expected = new Uint8Array(5 << 20).fill(7);
  assertBytesEqual(expected.slice(), expected);
  const actual = expected.slice();
  actual[3_000_000] = 8;
  const started = performance.now();
  const { message } = failure(() =>
    assertBytesEqual(actual, expected, "the copy")
  );
  assert.ok(performance.now() - started < 2000, "fails in under 2 s");
  assert.match(
    message,
    /^the copy: bytes differ at offset 3000000 \(actual 0x08, expected 0x07\)/,
  );
  assert.match(
    message,
    /actual 5242880 bytes, sha256 [0-9a-f]{64}; expected 5242880 bytes, sha256 [0-9a-f]{64}$/,
  );
  assert.ok(message.length < 400);
});

Deno.test("a shorter array differs where it ends", () => {
  const a = new Uint8Array([1, 2, 3]);
  assert.equal(firstDifference(a, a.subarray(0, 2)), 2);
  assert.equal(firstDifference(a.subarray(0, 0), a), 0);
  assert.equal(firstDifference(a, a.slice()), -1);
  assert.match(
    failure(() => assertBytesEqual(undefined, a)).message,
    /expected 3 bytes, got undefined/,
  );
  assert.match(
    failure(() => assertBytesEqual(a.subarray(0, 2), a)).message,
    /offset 2 \(actual end, expected 0x03\): actual 2 bytes/,
  );
});
