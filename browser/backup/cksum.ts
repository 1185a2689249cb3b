/**
 * POSIX `cksum` in the browser: the server's pure TypeScript CRC update
 * (its WebAssembly variant would need a CSP exception for wasm).
 * @module
 */
import { finish, updateJs } from "../../server/crypto/crc32.ts";

/** Incremental `cksum` over a file read in chunks. */
export class BrowserCksum {
  #crc = 0;
  #length = 0;

  /** Adds `bytes`. */
  update(bytes: Uint8Array): this {
    this.#crc = updateJs(this.#crc, bytes);
    this.#length += bytes.length;
    return this;
  }

  /** The value `/usr/bin/cksum` prints for everything added so far. */
  digest(): number {
    return finish(this.#crc, this.#length);
  }

  /** Bytes added so far. */
  get length(): number {
    return this.#length;
  }
}
