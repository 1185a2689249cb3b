/**
 * Content addresses: the BLAKE3 of a plaintext in lowercase hex, the key
 * of `contents` and the name of its object file (docs/history.md).
 * @module
 */

const BLAKE3_HEX = /^[0-9a-f]{64}$/;

/** True when `text` is a content address (64 lowercase hex digits). */
export function isContentAddress(text: string): boolean {
  return BLAKE3_HEX.test(text);
}

/**
 * Throws a RangeError unless `blake3` is a content address, so that no
 * other text ever becomes a path under `.objects` or a `contents` key.
 */
export function checkContentAddress(blake3: string): void {
  if (!isContentAddress(blake3)) {
    throw new RangeError(
      `Cannot use content address "${blake3}": not 64 lowercase hex digits`,
    );
  }
}
