/**
 * The identity file: `me.info` of the protocol spec (line 1 the name, line 2
 * the client id as 32 hex characters, line 3 base64 of the PKCS#8 DER private
 * key), so one identity serves the browser and `cyberbackup backup`. Pure.
 * @module
 */
import { isClientIdHex } from "../../server/protocol/client_id.ts";
import { checkUserName } from "../../server/protocol/names.ts";
import { fromBase64, toBase64 } from "../../shared/encoding.ts";

/** An identity: who the client is and its private key. */
export interface Identity {
  name: string;
  /** 32 lowercase hex characters. */
  clientId: string;
  /** PKCS#8 DER of the RSA-1024 private key. */
  privateKey: Uint8Array<ArrayBuffer>;
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
  const problem = checkUserName(name);
  if (problem) throw new SyntaxError(`Line 1 (name): ${problem}`);
  const clientId = lines[1] ?? "";
  if (!isClientIdHex(clientId)) {
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
