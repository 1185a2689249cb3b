/**
 * The identity's RSA key pair and the session AES key, on Web Crypto. The
 * pair is made here and the private key never leaves the browser except in
 * the identity file the user exports. Web Crypto only makes exponent-65537
 * keys (a 162-byte SPKI, which the JSON API accepts); an imported `me.info`
 * of the command-line client (exponent 17) works as well.
 * @module
 */
import { Size } from "../../server/protocol/constants.ts";
import { fromBase64, toBase64Url } from "../../shared/encoding.ts";

/** OAEP hash names of the API and of Web Crypto. */
const HASHES = { sha1: "SHA-1", sha256: "SHA-256" } as const;

/** The server's OAEP hash, as `GET /api/v1/info` names it. */
export type OaepHash = keyof typeof HASHES;

function webHash(hash: string): string {
  const name = HASHES[hash as OaepHash];
  if (!name) throw new TypeError(`Cannot use OAEP hash "${hash}"`);
  return name;
}

/** A fresh RSA-1024 key pair: the SPKI to send, the PKCS#8 to keep. */
export async function generateKeyPair(hash: string): Promise<{
  publicKey: Uint8Array<ArrayBuffer>;
  privateKey: Uint8Array<ArrayBuffer>;
}> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSA-OAEP",
      modulusLength: 1024,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: webHash(hash),
    },
    true,
    ["encrypt", "decrypt"],
  );
  const [publicKey, privateKey] = await Promise.all([
    crypto.subtle.exportKey("spki", pair.publicKey),
    crypto.subtle.exportKey("pkcs8", pair.privateKey),
  ]);
  return {
    publicKey: new Uint8Array(publicKey),
    privateKey: new Uint8Array(privateKey),
  };
}

/**
 * Imports a PKCS#8 private key for decrypting the session key; throws a
 * TypeError naming the problem when it is not an RSA-1024 key.
 */
export async function importPrivateKey(
  pkcs8: Uint8Array<ArrayBuffer>,
  hash: string,
): Promise<CryptoKey> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(
      "pkcs8",
      pkcs8,
      { name: "RSA-OAEP", hash: webHash(hash) },
      false,
      ["decrypt"],
    );
  } catch (error) {
    throw new TypeError(
      `The private key cannot be read as an RSA key (${
        (error as Error).message
      }).`,
    );
  }
  const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  if (bits !== 1024) {
    throw new TypeError(
      `The private key has ${bits} bits; the protocol uses 1024.`,
    );
  }
  return key;
}

/** Recovers the 32-byte AES key that the server encrypted to our public key. */
export async function decryptSessionKey(
  privateKey: CryptoKey,
  encryptedBase64: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const encrypted = fromBase64(encryptedBase64);
  let raw: ArrayBuffer;
  try {
    raw = await crypto.subtle.decrypt(
      { name: "RSA-OAEP" },
      privateKey,
      encrypted,
    );
  } catch {
    throw new TypeError(
      "Cannot decrypt the session key: this identity's private key does not match the key the server holds.",
    );
  }
  if (raw.byteLength !== Size.AES_KEY) {
    throw new TypeError(
      `Cannot use the session key: ${raw.byteLength} bytes instead of ${Size.AES_KEY}.`,
    );
  }
  return new Uint8Array(raw);
}

/** `X-Key-Proof` for the history: base64url(HMAC-SHA256(AES key, token)). */
export async function keyProof(
  aesKey: Uint8Array<ArrayBuffer>,
  token: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    aesKey,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(token),
  );
  return toBase64Url(new Uint8Array(mac));
}
