/**
 * Streaming AES-256-CBC encryption on Web Crypto, which only encrypts whole
 * messages and always pads. CBC chains through the previous ciphertext
 * block, so a file can still be encrypted chunk by chunk: each block-aligned
 * chunk is encrypted with the last ciphertext block of the one before as its
 * IV (the protocol's zero IV first) and the padding block Web Crypto adds is
 * dropped; only the final chunk keeps its padding. The output is byte for
 * byte what one pass over the whole file gives.
 * @module
 */
import { Size } from "../../server/protocol/constants.ts";

const BLOCK = Size.AES_BLOCK;

/** Encrypts a file chunk by chunk with the protocol's zero IV. */
export class CbcEncryptor {
  #key: CryptoKey;
  #iv: Uint8Array<ArrayBuffer> = new Uint8Array(BLOCK);
  #finished = false;

  /** `key` is an AES-CBC CryptoKey with the "encrypt" usage. */
  constructor(key: CryptoKey) {
    this.#key = key;
  }

  /**
   * Encrypts a chunk whose length is a multiple of 16 (not the last one);
   * returns as many ciphertext bytes as it was given.
   */
  async update(chunk: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    this.#checkOpen();
    if (chunk.length % BLOCK !== 0) {
      throw new RangeError(
        `Cannot encrypt chunk: ${chunk.length} bytes is not a multiple of ${BLOCK}; only the last chunk may be`,
      );
    }
    if (chunk.length === 0) return new Uint8Array(0);
    const padded = await this.#encrypt(chunk);
    const out = padded.subarray(0, chunk.length);
    this.#iv = out.slice(out.length - BLOCK);
    return out;
  }

  /** Encrypts the last chunk (any length) with its PKCS#7 padding. */
  async final(chunk: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    this.#checkOpen();
    this.#finished = true;
    return await this.#encrypt(chunk);
  }

  async #encrypt(chunk: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    return new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-CBC", iv: this.#iv },
        this.#key,
        chunk,
      ),
    );
  }

  #checkOpen(): void {
    if (this.#finished) {
      throw new TypeError("Cannot encrypt chunk: the file is already finished");
    }
  }
}

/** Imports 32 raw bytes as an AES-CBC key for {@linkcode CbcEncryptor}. */
export function importAesKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  if (raw.length !== Size.AES_KEY) {
    throw new RangeError(
      `Cannot import AES key: expected ${Size.AES_KEY} bytes, got ${raw.length}`,
    );
  }
  return crypto.subtle.importKey("raw", raw, "AES-CBC", false, ["encrypt"]);
}
