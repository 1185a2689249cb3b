/**
 * OpenSSL's libcrypto through `Deno.dlopen`: AES-256-CBC (and the restore extension's AES-256-GCM) at native speed
 * (~10x `node:crypto` in Deno). Optional by design: when the library is
 * missing or FFI is not permitted, {@linkcode openLibcrypto} returns null and
 * callers fall back to `node:crypto`.
 *
 * Calls are synchronous (`nonblocking: false`), so V8 can use its fast-call
 * path; buffers are passed as typed arrays directly.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { openOptionalLibrary } from "./ffi.ts";

const logger = getLogger(["cyberbackup", "crypto"]);

/** Names tried in order; the versioned one first, so we get OpenSSL 3. */
export const LIBCRYPTO_NAMES = ["libcrypto.so.3", "libcrypto.so"] as const;

const SYMBOLS = {
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_aes_256_cbc: { parameters: [], result: "pointer" },
  EVP_aes_256_gcm: { parameters: [], result: "pointer" },
  // (ctx, type, arg, ptr) -> 1 on success: GCM tag get / set
  EVP_CIPHER_CTX_ctrl: {
    parameters: ["pointer", "i32", "i32", "buffer"],
    result: "i32",
  },
  // (ctx, cipher, engine, key, iv) -> 1 on success
  EVP_EncryptInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"],
    result: "i32",
  },
  // (ctx, out, outl*, in, inl) -> 1 on success
  EVP_EncryptUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  // (ctx, out, outl*) -> 1 on success
  EVP_EncryptFinal_ex: {
    parameters: ["pointer", "buffer", "buffer"],
    result: "i32",
  },
  EVP_DecryptInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"],
    result: "i32",
  },
  EVP_DecryptUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_DecryptFinal_ex: {
    parameters: ["pointer", "buffer", "buffer"],
    result: "i32",
  },
  ERR_clear_error: { parameters: [], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The libcrypto functions we bind, typed from {@linkcode SYMBOLS}. */
export type Libcrypto = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** undefined: not tried yet; null: tried and unavailable. */
let cached: Libcrypto | null | undefined;

/**
 * The libcrypto bindings, opened on first use and kept for the life of the
 * isolate (each worker opens its own). Returns null, without throwing, when
 * FFI is not granted or no library loads: AES then uses `node:crypto`.
 */
export function openLibcrypto(): Libcrypto | null {
  if (cached !== undefined) return cached;
  cached = openOptionalLibrary(LIBCRYPTO_NAMES, SYMBOLS, "AES");
  if (!cached) {
    logger.info("libcrypto not found; AES falls back to node:crypto");
  }
  return cached;
}
