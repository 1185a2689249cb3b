/**
 * Bytes as text and back: hex (client ids, folder names, digests) and
 * base64 (keys in `me.info` and in the JSON API). Pure, with Web APIs only
 * (`btoa`, `atob`), so the server, the command-line client and the browser
 * bundle share one definition.
 * @module
 */

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
// Padding may be left off (atob accepts that); a lone sixth bit never.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Lowercase hex of `bytes`.
 *
 * @example
 * toHex(new Uint8Array([0, 255])); // "00ff"
 */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The bytes of hex text (either case); throws SyntaxError when it is not hex. */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  if (!HEX.test(hex)) {
    throw new SyntaxError(
      "Cannot decode hex: not an even number of hex digits",
    );
  }
  return Uint8Array.from(
    { length: hex.length / 2 },
    (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16),
  );
}

/** Standard base64 of `bytes`, padded. */
export function toBase64(bytes: Uint8Array): string {
  let text = "";
  // Chunks keep the spread below the engine's argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** base64url of `bytes` without padding (RFC 4648, section 5): tokens, proofs. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * The bytes of standard base64, padding optional; throws SyntaxError when
 * it is not base64.
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64.test(text) || text.length % 4 === 1) {
    throw new SyntaxError("Cannot decode base64: not valid base64");
  }
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new SyntaxError("Cannot decode base64: not valid base64");
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** True when two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
