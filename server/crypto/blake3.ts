/**
 * Streaming BLAKE3 (256-bit output) of an upload's plaintext: its content
 * address (docs/history.md). BLAKE3 rather than SHA-256 because the address
 * is computed while receiving, on the upload's own thread: it costs a fifth
 * of SHA-256 even with SHA extensions (bench/blake3.ts, ~9.4 against ~2.0
 * GB/s here), which is what keeps uploads as fast as before history existed.
 *
 * The implementation is the BLAKE3 team's Rust crate with its SIMD kernels,
 * as the Node-API addon `@napi-rs/blake-hash`, whose npm package ships builds
 * for every platform Deno runs on. Imported statically on purpose: a module
 * with a top-level await would delay a TCP worker's message handler, and
 * Deno drops the messages a worker receives before its module has run.
 * @module
 */
import { Blake3Hasher } from "@napi-rs/blake-hash";

/** A BLAKE3 in progress; synchronous, so it never holds the caller's bytes. */
export interface Blake3Stream {
  /** Adds bytes. */
  update(bytes: Uint8Array): void;
  /** The 32-byte digest in lowercase hex; the stream is spent afterwards. */
  digest(): string;
}

/** A new streaming BLAKE3. */
export function createBlake3(): Blake3Stream {
  const hasher = new Blake3Hasher();
  return {
    // Typed for a Buffer; the addon reads any Uint8Array in place.
    update: (bytes) => void hasher.update(bytes as Buffer),
    digest: () => hasher.digest("hex"),
  };
}

/** The BLAKE3 of `bytes` (a string as UTF-8) in lowercase hex. */
export function blake3Hex(bytes: Uint8Array | string): string {
  const hash = createBlake3();
  hash.update(
    typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes,
  );
  return hash.digest();
}
