/**
 * Byte comparison for tests. `assert.deepEqual` on two unequal large
 * Uint8Arrays builds a diff of every byte, whose cost explodes (30 KB took
 * over a minute and 15 GiB); this reports what one needs to see instead:
 * both lengths, the first differing offset and both SHA-256 digests.
 * @module
 */
import { createHash } from "node:crypto";
import { AssertionError } from "node:assert";

/** SHA-256 of `bytes` in hex. */
function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The first offset where `a` and `b` differ, or -1 when they are equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : common;
}

/**
 * Throws an AssertionError unless `actual` holds exactly the bytes of
 * `expected`; the message names lengths, first differing offset (with the
 * bytes there) and the SHA-256 of both, never the whole arrays.
 *
 * ```ts
 * assertBytesEqual(await Deno.readFile(stored), data, "the stored copy");
 * ```
 */
export function assertBytesEqual(
  actual: Uint8Array | null | undefined,
  expected: Uint8Array,
  message?: string,
): asserts actual is Uint8Array {
  if (!(actual instanceof Uint8Array)) {
    throw new AssertionError({
      message: `${
        message ? `${message}: ` : ""
      }expected ${expected.length} bytes, got ${actual}`,
      operator: "assertBytesEqual",
    });
  }
  const at = firstDifference(actual, expected);
  if (at === -1) return;
  const byte = (bytes: Uint8Array) =>
    at < bytes.length ? `0x${bytes[at].toString(16).padStart(2, "0")}` : "end";
  const detail = `bytes differ at offset ${at} (actual ${
    byte(actual)
  }, expected ${byte(expected)}): actual ${actual.length} bytes, sha256 ${
    sha256(actual)
  }; expected ${expected.length} bytes, sha256 ${sha256(expected)}`;
  throw new AssertionError({
    message: message ? `${message}: ${detail}` : detail,
    operator: "assertBytesEqual",
  });
}
