/**
 * Streaming BLAKE3 (256-bit output) of an upload's plaintext: its content
 * address (docs/history.md). BLAKE3 rather than SHA-256 because the address
 * is computed while receiving, on the upload's own thread: natively it costs
 * a fifth of SHA-256 even with SHA extensions (bench/blake3.ts, ~9.4 against
 * ~2.0 GB/s), which is what keeps uploads as fast as before history existed.
 *
 * Two backends with identical output: the BLAKE3 reference implementation
 * (Rust, with its SIMD kernels) as a Node-API addon from npm, and a
 * WebAssembly build (hash-wasm, ~0.9 GB/s) where that addon cannot load.
 * @module
 */
import { createBLAKE3, type IHasher } from "hash-wasm";

/** A BLAKE3 in progress; synchronous, so it never holds the caller's bytes. */
export interface Blake3Stream {
  /** Adds bytes. */
  update(bytes: Uint8Array): void;
  /** The 32-byte digest in lowercase hex; the stream is spent afterwards. */
  digest(): string;
}

/** Which implementation hashes. */
export type Blake3Backend = "native" | "wasm";

/** The addon's hasher, as far as this module uses it. */
interface NativeHasher {
  update(input: Uint8Array): unknown;
  digest(format: "hex"): string;
}

/**
 * The addon's class, or null on a platform it has no build for. Its types
 * ask for a Buffer; any Uint8Array is read in place.
 */
const NativeHasher = await import("@napi-rs/blake-hash").then(
  (addon) => addon.Blake3Hasher as unknown as new () => NativeHasher,
  () => null,
);

/**
 * One WebAssembly instance serves every stream: each keeps its own state
 * (`save()`), loaded around its updates, so creating a stream stays
 * synchronous. Instantiated up front, even where the addon loads, so that
 * either backend can be asked for.
 */
const wasm: IHasher = await createBLAKE3();

/** The backend createBlake3() uses by default: native where it loads. */
export function blake3Backend(): Blake3Backend {
  return NativeHasher ? "native" : "wasm";
}

/** A new streaming BLAKE3. */
export function createBlake3(
  backend: Blake3Backend = blake3Backend(),
): Blake3Stream {
  if (backend === "wasm") return wasmStream();
  if (!NativeHasher) {
    throw new Error("Cannot hash with native BLAKE3: the addon did not load");
  }
  const hasher = new NativeHasher();
  return {
    update: (bytes) => void hasher.update(bytes),
    digest: () => hasher.digest("hex"),
  };
}

function wasmStream(): Blake3Stream {
  let state = wasm.init().save();
  return {
    update(bytes) {
      wasm.load(state).update(bytes);
      state = wasm.save();
    },
    digest: () => wasm.load(state).digest("hex"),
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
