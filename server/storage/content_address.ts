/**
 * Content addresses: the SHA-256 of a plaintext in lowercase hex, the key
 * of `contents` and the name of its object file (docs/history.md).
 * @module
 */

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True when `text` is a content address (64 lowercase hex digits). */
export function isSha256(text: string): boolean {
  return SHA256_HEX.test(text);
}

/**
 * Throws a RangeError unless `sha256` is a content address, so that no
 * other text ever becomes a path under `.objects` or a `contents` key.
 */
export function checkSha256(sha256: string): void {
  if (!isSha256(sha256)) {
    throw new RangeError(
      `Cannot use content address "${sha256}": not 64 lowercase hex digits`,
    );
  }
}
