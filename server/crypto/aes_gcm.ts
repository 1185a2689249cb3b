/**
 * AES-256-GCM for the restore extension: one call seals or opens one frame
 * (ciphertext followed by its 16-byte tag), so a restore streams frame by
 * frame with flat memory. Two backends with identical output: libcrypto
 * through FFI (native speed) and `node:crypto` (~240 MB/s in Deno) where FFI
 * is unavailable. The browser uses Web Crypto, whose AES-GCM output has the
 * same layout.
 * @module
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { RestoreSize } from "../protocol/constants.ts";
import { type AesBackend, aesBackend } from "./aes_cbc.ts";
import { type Libcrypto, openLibcrypto } from "./libcrypto.ts";

/** The tag did not verify: the frame was altered, or the key is wrong. */
export class TagMismatchError extends Error {
  constructor() {
    super("Cannot open sealed frame: authentication tag does not match");
    this.name = "TagMismatchError";
  }
}

/** What one frame is sealed with. */
export interface GcmParams {
  /** 32 bytes. */
  key: Uint8Array;
  /** 12 bytes; never twice under one key. */
  nonce: Uint8Array;
  aad: Uint8Array;
}

const TAG = RestoreSize.TAG;
/** EVP_CTRL_GCM_GET_TAG and EVP_CTRL_GCM_SET_TAG of OpenSSL's evp.h. */
const GET_TAG = 0x10;
const SET_TAG = 0x11;

function checkParams({ key, nonce }: GcmParams, action: string): void {
  if (key.length !== 32 || nonce.length !== RestoreSize.NONCE) {
    throw new RangeError(
      `Cannot ${action}: AES-256-GCM needs a 32-byte key and a 12-byte nonce`,
    );
  }
}

/** One EVP context per thread, reinitialised for every frame. */
let native: { lib: Libcrypto; ctx: Deno.PointerObject } | undefined;

function nativeContext(): { lib: Libcrypto; ctx: Deno.PointerObject } {
  if (native) return native;
  const lib = openLibcrypto();
  if (!lib) {
    throw new Deno.errors.NotSupported("libcrypto is not available");
  }
  const ctx = lib.EVP_CIPHER_CTX_new();
  if (ctx === null) throw new Error("Cannot create AES-GCM context");
  native = { lib, ctx };
  return native;
}

const outLength = new Int32Array(1);

function nativeSeal(params: GcmParams, plain: Uint8Array, out: Uint8Array) {
  const { lib, ctx } = nativeContext();
  const gcm = lib.EVP_aes_256_gcm();
  const ok =
    lib.EVP_EncryptInit_ex(ctx, gcm, null, params.key, params.nonce) ===
      1 &&
    (params.aad.length === 0 ||
      lib.EVP_EncryptUpdate(
          ctx,
          null,
          outLength,
          params.aad,
          params.aad.length,
        ) ===
        1) &&
    (plain.length === 0 ||
      lib.EVP_EncryptUpdate(ctx, out, outLength, plain, plain.length) === 1) &&
    lib.EVP_EncryptFinal_ex(ctx, out.subarray(plain.length), outLength) === 1 &&
    lib.EVP_CIPHER_CTX_ctrl(ctx, GET_TAG, TAG, out.subarray(plain.length)) ===
      1;
  if (!ok) {
    lib.ERR_clear_error();
    throw new Error("Cannot seal frame: libcrypto AES-GCM failed");
  }
}

function nativeOpen(params: GcmParams, sealed: Uint8Array, out: Uint8Array) {
  const { lib, ctx } = nativeContext();
  const length = sealed.length - TAG;
  // SET_TAG writes nothing, but libcrypto wants a mutable buffer: copy the tag.
  const tag = sealed.slice(length);
  const set = lib.EVP_DecryptInit_ex(
        ctx,
        lib.EVP_aes_256_gcm(),
        null,
        params.key,
        params.nonce,
      ) === 1 &&
    (params.aad.length === 0 ||
      lib.EVP_DecryptUpdate(
          ctx,
          null,
          outLength,
          params.aad,
          params.aad.length,
        ) ===
        1) &&
    (length === 0 ||
      lib.EVP_DecryptUpdate(ctx, out, outLength, sealed, length) === 1) &&
    lib.EVP_CIPHER_CTX_ctrl(ctx, SET_TAG, TAG, tag) === 1;
  if (!set) {
    lib.ERR_clear_error();
    throw new Error("Cannot open frame: libcrypto AES-GCM failed");
  }
  if (lib.EVP_DecryptFinal_ex(ctx, out.subarray(length), outLength) !== 1) {
    lib.ERR_clear_error();
    out.fill(0, 0, length);
    throw new TagMismatchError();
  }
}

function nodeSeal(params: GcmParams, plain: Uint8Array, out: Uint8Array) {
  const cipher = createCipheriv("aes-256-gcm", params.key, params.nonce);
  cipher.setAAD(params.aad);
  const body = cipher.update(plain);
  out.set(body);
  out.set(cipher.final(), body.length);
  out.set(cipher.getAuthTag(), plain.length);
}

function nodeOpen(params: GcmParams, sealed: Uint8Array, out: Uint8Array) {
  const length = sealed.length - TAG;
  const decipher = createDecipheriv("aes-256-gcm", params.key, params.nonce);
  decipher.setAAD(params.aad);
  decipher.setAuthTag(sealed.subarray(length));
  const body = decipher.update(sealed.subarray(0, length));
  try {
    decipher.final();
  } catch {
    throw new TagMismatchError();
  }
  out.set(body);
}

/**
 * Encrypts `plain` into `out` (`plain.length + 16` bytes: ciphertext, then
 * tag). `out` may be `plain`'s own buffer starting at the same byte (in place).
 */
export function sealInto(
  params: GcmParams,
  plain: Uint8Array,
  out: Uint8Array,
  options: { backend?: AesBackend } = {},
): void {
  checkParams(params, "seal frame");
  if (out.length !== plain.length + TAG) {
    throw new RangeError("Cannot seal frame: output must be input + 16 bytes");
  }
  if ((options.backend ?? aesBackend()) === "libcrypto") {
    nativeSeal(params, plain, out);
  } else nodeSeal(params, plain, out);
}

/**
 * Decrypts `sealed` (ciphertext then tag) into `out` (`sealed.length - 16`
 * bytes); throws TagMismatchError, leaving `out` zeroed, when the tag fails.
 */
export function openInto(
  params: GcmParams,
  sealed: Uint8Array,
  out: Uint8Array,
  options: { backend?: AesBackend } = {},
): void {
  checkParams(params, "open frame");
  if (sealed.length < TAG || out.length !== sealed.length - TAG) {
    throw new RangeError("Cannot open frame: output must be input - 16 bytes");
  }
  if ((options.backend ?? aesBackend()) === "libcrypto") {
    nativeOpen(params, sealed, out);
  } else nodeOpen(params, sealed, out);
}

/** Seals into a new array (lists, metadata, tests). */
export function seal(
  params: GcmParams,
  plain: Uint8Array,
  options: { backend?: AesBackend } = {},
): Uint8Array {
  const out = new Uint8Array(plain.length + TAG);
  sealInto(params, plain, out, options);
  return out;
}

/** Opens into a new array; throws TagMismatchError when the tag fails. */
export function open(
  params: GcmParams,
  sealed: Uint8Array,
  options: { backend?: AesBackend } = {},
): Uint8Array {
  const out = new Uint8Array(Math.max(0, sealed.length - TAG));
  openInto(params, sealed, out, options);
  return out;
}
