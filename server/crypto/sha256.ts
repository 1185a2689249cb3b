/**
 * Streaming SHA-256 of an upload's plaintext, its content address
 * (docs/history.md). Where OpenSSL's libcrypto loads through FFI, the
 * hashing runs on Deno's native thread pool (`nonblocking` calls) over
 * staging buffers of STAGE_BYTES, so that it overlaps the session's own
 * receive, decrypt, checksum and write instead of adding to them; else
 * `node:crypto` hashes on the calling thread.
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { toHex } from "../../shared/encoding.ts";
import { openOptionalLibrary } from "./ffi.ts";
import { LIBCRYPTO_NAMES } from "./libcrypto.ts";

/** A SHA-256 in progress. */
export interface Sha256Stream {
  /**
   * Adds bytes. May return a promise; `bytes` must stay unchanged until it
   * settles, and the next call must wait for it.
   */
  update(bytes: Uint8Array): Promise<void> | undefined;
  /** Ends the stream (freeing what it holds, as close() does): the digest in lowercase hex. */
  digest(): Promise<string>;
  /** Frees native resources (once any call in flight is done); safe to call twice. */
  close(): void;
}

/** Bytes handed to one native update: large enough to make a call cheap. */
const STAGE_BYTES = 1 << 20;
const DIGEST_BYTES = 32;

const SYMBOLS = {
  EVP_MD_CTX_new: { parameters: [], result: "pointer" },
  EVP_MD_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_sha256: { parameters: [], result: "pointer" },
  // (ctx, type, engine) -> 1 on success
  EVP_DigestInit_ex: {
    parameters: ["pointer", "pointer", "pointer"],
    result: "i32",
  },
  // (ctx, data, count) -> 1 on success; on the native thread pool
  EVP_DigestUpdate: {
    parameters: ["pointer", "buffer", "usize"],
    result: "i32",
    nonblocking: true,
  },
  // (ctx, md, size*) -> 1 on success
  EVP_DigestFinal_ex: {
    parameters: ["pointer", "buffer", "buffer"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** undefined: not tried yet; null: tried and unavailable. */
let cached: Symbols | null | undefined;

function library(): Symbols | null {
  if (cached === undefined) {
    cached = openOptionalLibrary(LIBCRYPTO_NAMES, SYMBOLS, "SHA-256");
  }
  return cached;
}

/** SHA-256 by OpenSSL on the native thread pool, over two staging buffers. */
class NativeSha256 implements Sha256Stream {
  #lib: Symbols;
  #ctx: Deno.PointerObject | null;
  #stages = [new Uint8Array(STAGE_BYTES), new Uint8Array(STAGE_BYTES)];
  #current = 0;
  #used = 0;
  /** The native update of the other stage, while it runs. */
  #inFlight: Promise<void> | undefined;

  constructor(lib: Symbols) {
    const ctx = lib.EVP_MD_CTX_new();
    if (ctx === null) throw new Error("Cannot start SHA-256: out of memory");
    if (lib.EVP_DigestInit_ex(ctx, lib.EVP_sha256(), null) !== 1) {
      lib.EVP_MD_CTX_free(ctx);
      throw new Error("Cannot start SHA-256: init failed");
    }
    this.#lib = lib;
    this.#ctx = ctx;
  }

  update(bytes: Uint8Array): Promise<void> | undefined {
    if (this.#used + bytes.length < STAGE_BYTES) {
      this.#stages[this.#current].set(bytes, this.#used);
      this.#used += bytes.length;
      return undefined;
    }
    return this.#fill(bytes);
  }

  /** Copies `bytes` in, handing each full stage to the thread pool. */
  async #fill(bytes: Uint8Array): Promise<void> {
    for (let offset = 0; offset < bytes.length;) {
      const n = Math.min(STAGE_BYTES - this.#used, bytes.length - offset);
      this.#stages[this.#current].set(
        bytes.subarray(offset, offset + n),
        this.#used,
      );
      this.#used += n;
      offset += n;
      if (this.#used === STAGE_BYTES) await this.#flush();
    }
  }

  /** Starts hashing the current stage once the other one is done. */
  async #flush(): Promise<void> {
    await this.#inFlight;
    const ctx = this.#context();
    const stage = this.#stages[this.#current];
    const size = this.#used;
    this.#inFlight = this.#lib.EVP_DigestUpdate(ctx, stage, BigInt(size))
      .then((ok) => {
        if (ok !== 1) throw new Error("Cannot hash: SHA-256 update failed");
      });
    this.#current ^= 1;
    this.#used = 0;
  }

  async digest(): Promise<string> {
    if (this.#used > 0) await this.#flush();
    await this.#inFlight;
    this.#inFlight = undefined;
    const out = new Uint8Array(DIGEST_BYTES);
    const length = new Uint32Array(1);
    if (this.#lib.EVP_DigestFinal_ex(this.#context(), out, length) !== 1) {
      throw new Error("Cannot hash: SHA-256 final failed");
    }
    this.close();
    return toHex(out);
  }

  close(): void {
    const ctx = this.#ctx;
    if (ctx === null) return;
    this.#ctx = null;
    const free = () => this.#lib.EVP_MD_CTX_free(ctx);
    // Never free the context under a native call still running on it.
    if (this.#inFlight) this.#inFlight.then(free, free);
    else free();
  }

  #context(): Deno.PointerObject {
    if (this.#ctx === null) throw new Error("Cannot hash: SHA-256 closed");
    return this.#ctx;
  }
}

/** SHA-256 by node:crypto on the calling thread. */
class NodeSha256 implements Sha256Stream {
  #hash: Hash = createHash("sha256");

  update(bytes: Uint8Array): undefined {
    this.#hash.update(bytes);
  }

  digest(): Promise<string> {
    return Promise.resolve(this.#hash.digest("hex"));
  }

  close(): void {}
}

/** Which implementation hashes: libcrypto off-thread when it loads, else node:crypto. */
export type Sha256Backend = "libcrypto" | "node";

/** A new streaming SHA-256, natively off-thread when possible. */
export function createSha256(
  backend: Sha256Backend = library() ? "libcrypto" : "node",
): Sha256Stream {
  const lib = backend === "libcrypto" ? library() : null;
  if (backend === "libcrypto" && !lib) {
    throw new Error("Cannot hash with libcrypto: the library is unavailable");
  }
  return lib ? new NativeSha256(lib) : new NodeSha256();
}
