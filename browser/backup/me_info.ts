/**
 * The identity file: `me.info` of the protocol spec (line 1 the name, line 2
 * the client id as 32 hex characters, line 3 base64 of the PKCS#8 DER private
 * key), so one identity serves the browser and `cyberbackup backup`. Pure.
 * @module
 */

/** An identity: who the client is and its private key. */
export interface Identity {
  name: string;
  /** 32 lowercase hex characters. */
  clientId: string;
  /** PKCS#8 DER of the RSA-1024 private key. */
  privateKey: Uint8Array<ArrayBuffer>;
}

/** Longest name the command-line client's `transfer.info` allows. */
export const MAX_USER_NAME = 100;

const PRINTABLE = /^[\x20-\x7e]+$/;
const HEX_ID = /^[0-9a-fA-F]{32}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Why `name` cannot be an identity's name, or undefined when it can. */
export function checkName(name: string): string | undefined {
  if (name.length === 0) return "Enter a name.";
  if (name.length > MAX_USER_NAME) {
    return `A name has at most ${MAX_USER_NAME} characters.`;
  }
  if (!PRINTABLE.test(name)) {
    return "A name may only hold printable ASCII characters (letters, digits, punctuation, spaces).";
  }
  if (name.trim() !== name) return "A name cannot start or end with a space.";
  return undefined;
}

/** Standard base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** Bytes of standard base64; throws SyntaxError when it is not. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64.test(text) || text.length % 4 === 1) {
    throw new SyntaxError("not valid base64");
  }
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The text of `me.info`, the key on one line. */
export function formatMeInfo(identity: Identity): string {
  return `${identity.name}\n${identity.clientId}\n${
    toBase64(identity.privateKey)
  }\n`;
}

/**
 * Parses `me.info`. Like the command-line client it joins every line from
 * the third on (the classic client wraps the base64 key). Throws SyntaxError
 * naming the line at fault.
 */
export function parseMeInfo(text: string): Identity {
  const lines = text.replace(/\r/g, "").split("\n").map((l) => l.trim());
  const name = lines[0] ?? "";
  const problem = checkName(name);
  if (problem) throw new SyntaxError(`Line 1 (name): ${problem}`);
  const clientId = lines[1] ?? "";
  if (!HEX_ID.test(clientId)) {
    throw new SyntaxError(
      "Line 2 (client id): expected 32 hexadecimal characters.",
    );
  }
  const keyText = lines.slice(2).join("");
  if (keyText === "") {
    throw new SyntaxError("Line 3 (private key): the key is missing.");
  }
  let privateKey: Uint8Array<ArrayBuffer>;
  try {
    privateKey = fromBase64(keyText);
  } catch {
    throw new SyntaxError("Line 3 (private key): not valid base64.");
  }
  return { name, clientId: clientId.toLowerCase(), privateKey };
}
