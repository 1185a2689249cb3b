/**
 * RSA-OAEP key exchange: the client sends a 1024-bit RSA public key (X.509
 * SubjectPublicKeyInfo DER), the server answers with the session's AES key
 * encrypted to it. OAEP uses MGF1 with the same hash; SHA-1 is the default
 * because Crypto++ `RSAES_OAEP_SHA` and PyCryptodome `PKCS1_OAEP` use it.
 * @module
 */
import { Buffer } from "node:buffer";
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
} from "node:crypto";

/** Hash of OAEP and of its MGF1. */
export type OaepHash = "sha1" | "sha256";

/** Options of {@linkcode encryptKey} and {@linkcode decryptKey}. */
export interface OaepOptions {
  /** Defaults to "sha1". */
  hash?: OaepHash;
}

/** The protocol's RSA key size. */
export const RSA_BITS = 1024;
/** Public exponent of our clients' keys (Crypto++'s default): SPKI of 160 bytes. */
export const RSA_PUBLIC_EXPONENT = 17;

/** A Buffer as a plain Uint8Array, so callers compare like with like. */
function plain(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** A zero-copy Buffer view, as node:crypto's key parsers are typed for. */
function buffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Parses the public key a client sent. Accepts only a DER SPKI holding a
 * 1024-bit RSA key, so a hostile or mistaken key fails here, at the edge,
 * with a TypeError, rather than later inside the key exchange.
 */
export function parsePublicKey(spki: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: buffer(spki), format: "der", type: "spki" });
  } catch (error) {
    throw new TypeError(
      "Cannot parse public key: not a DER SubjectPublicKeyInfo",
      { cause: error },
    );
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new TypeError(
      `Cannot parse public key: expected an RSA key, got ${key.asymmetricKeyType}`,
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== RSA_BITS) {
    throw new TypeError(
      `Cannot parse public key: expected ${RSA_BITS} bits, got ${bits}`,
    );
  }
  const canonical = key.export({ type: "spki", format: "der" });
  if (!equalBytes(canonical, spki)) {
    throw new TypeError(
      "Cannot parse public key: not in canonical DER form",
    );
  }
  return key;
}

/**
 * Encrypts the session's AES key to the client's public key (a DER SPKI,
 * checked by {@linkcode parsePublicKey}). Returns 128 bytes; OAEP makes each
 * result different.
 */
export function encryptKey(
  spki: Uint8Array,
  aesKey: Uint8Array,
  options: OaepOptions = {},
): Uint8Array {
  const key = parsePublicKey(spki);
  return plain(publicEncrypt({
    key,
    padding: constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: options.hash ?? "sha1",
  }, aesKey));
}

/**
 * Makes a client key pair: 1024 bits, exponent 17 unless told otherwise, so
 * the public SPKI is exactly the protocol's 160 bytes (65537 gives 162, for
 * servers that demand that field). The private key is PKCS#8 DER, which is
 * what Crypto++ `Save()` writes and what `me.info` stores in base64.
 */
export function generateKeyPair(
  options: { publicExponent?: 17 | 65537 } = {},
): {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
} {
  const pair = generateKeyPairSync("rsa", {
    modulusLength: RSA_BITS,
    publicExponent: options.publicExponent ?? RSA_PUBLIC_EXPONENT,
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  return {
    publicKey: plain(pair.publicKey),
    privateKey: plain(pair.privateKey),
  };
}

function parsePrivateKey(pkcs8: Uint8Array): KeyObject {
  try {
    return createPrivateKey({
      key: buffer(pkcs8),
      format: "der",
      type: "pkcs8",
    });
  } catch (error) {
    throw new TypeError("Cannot parse private key: not a DER PKCS#8 key", {
      cause: error,
    });
  }
}

/**
 * Client side of the exchange: recovers the AES key the server sent. Throws
 * TypeError for an unreadable private key and Error when OAEP decoding fails
 * (wrong key, wrong hash or corrupted ciphertext).
 */
export function decryptKey(
  privateKeyPkcs8: Uint8Array,
  encrypted: Uint8Array,
  options: OaepOptions = {},
): Uint8Array {
  const key = parsePrivateKey(privateKeyPkcs8);
  try {
    return plain(privateDecrypt({
      key,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: options.hash ?? "sha1",
    }, encrypted));
  } catch (error) {
    throw new Error("Cannot decrypt AES key: OAEP decoding failed", {
      cause: error,
    });
  }
}

/**
 * The DER SPKI of a PKCS#8 private key's public half: `me.info` stores only
 * the private key, and a returning client rebuilds its public key from it.
 */
export function publicKeyOf(privateKeyPkcs8: Uint8Array): Uint8Array {
  const key = createPublicKey(parsePrivateKey(privateKeyPkcs8));
  return plain(key.export({ type: "spki", format: "der" }));
}
