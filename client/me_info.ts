/**
 * `me.info`, the client's identity: name, client id and RSA private key.
 * Its presence means "returning client". See `docs/protocol.md`, "Client state files".
 * @module
 */
import { Buffer } from "node:buffer";
import { createPrivateKey } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { writeAll } from "../server/io/exact_reader.ts";
import { Size } from "../server/protocol/constants.ts";
import { checkUserName } from "../server/protocol/names.ts";
import { fromBase64, toBase64, toHex } from "../shared/encoding.ts";
import { parseClientIdHex } from "../server/protocol/client_id.ts";
import { InfoFileError } from "./transfer_info.ts";

/** The identity saved after registration. */
export interface MeInfo {
  name: string;
  /** 16 bytes. */
  clientId: Uint8Array;
  /** PKCS#8 DER of the RSA-1024 private key. */
  privateKey: Uint8Array;
}

function checkPrivateKey(der: Uint8Array): string | undefined {
  try {
    const key = createPrivateKey({
      key: Buffer.from(der),
      format: "der",
      type: "pkcs8",
    });
    if (key.asymmetricKeyType !== "rsa") {
      return `key is ${key.asymmetricKeyType}, not RSA`;
    }
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (bits !== 1024) return `key has ${bits} bits, not 1024`;
    // 17 is what this client and Crypto++ make; 65537 is all Web Crypto can
    // make, so identities exported by the browser client carry it. Either
    // works for reconnecting, which never sends the public key.
    const exponent = key.asymmetricKeyDetails?.publicExponent;
    if (exponent !== 17n && exponent !== 65537n) {
      return `key has public exponent ${exponent}, not 17 or 65537`;
    }
    return undefined;
  } catch {
    return "key is not a PKCS#8 DER private key";
  }
}

/**
 * A `me.info` of two lines, the name and the client id, without a key:
 * what a user who lost `me.info` writes once the administrator re-keyed the
 * client (README, "Re-keying a client"). The client registers again under
 * that id and writes a whole `me.info` with a new key.
 */
export interface RekeyInfo {
  name: string;
  clientId: Uint8Array;
}

/**
 * Parses the text of `me.info`. The key may span several lines (the classic
 * client's Base64 encoder wraps it), so every line from 3 on is joined.
 * With `allowNoKey`, a file without a key is a {@link RekeyInfo}.
 */
export function parseMeInfo(
  text: string,
  options?: { source?: string },
): MeInfo;
export function parseMeInfo(
  text: string,
  options: { source?: string; allowNoKey: true },
): MeInfo | RekeyInfo;
export function parseMeInfo(
  text: string,
  options: { source?: string; allowNoKey?: boolean } = {},
): MeInfo | RekeyInfo {
  const source = options.source ?? "me.info";
  const fail = (line: number, reason: string): never => {
    throw new InfoFileError(
      `Cannot read ${source}: line ${line}: ${reason} (delete the file to register again)`,
    );
  };
  const lines = text.split("\n").map((line) => line.trim());
  const name = lines[0] ?? "";
  const nameProblem = checkUserName(name);
  if (nameProblem) fail(1, nameProblem);
  const clientId = parseClientIdHex(lines[1] ?? "") ??
    fail(2, "expected the client id as 32 hex characters");
  const keyText = lines.slice(2).join("");
  if (keyText === "") {
    if (options.allowNoKey) return { name, clientId };
    fail(3, "expected the private key in Base64");
  }
  let privateKey = new Uint8Array(0);
  try {
    privateKey = fromBase64(keyText);
  } catch {
    fail(3, "private key is not valid Base64");
  }
  const keyProblem = checkPrivateKey(privateKey);
  if (keyProblem) fail(3, keyProblem);
  return { name, clientId, privateKey };
}

/** True when `me` holds a private key (a whole `me.info`). */
export function hasKey(me: MeInfo | RekeyInfo): me is MeInfo {
  return "privateKey" in me;
}

/** The text of `me.info` for `info`, the key on one line. */
export function formatMeInfo(info: MeInfo): string {
  if (info.clientId.length !== Size.CLIENT_ID) {
    throw new RangeError(
      `Cannot format me.info: client id must be ${Size.CLIENT_ID} bytes`,
    );
  }
  const key = toBase64(info.privateKey);
  return `${info.name}\n${toHex(info.clientId)}\n${key}\n`;
}

/** Reads `path`; undefined when it does not exist (a new client). */
export async function readMeInfo(path: string): Promise<MeInfo | undefined>;
/** Reads `path`, taking a file without a key as a {@link RekeyInfo}. */
export async function readMeInfo(
  path: string,
  options: { allowNoKey: true },
): Promise<MeInfo | RekeyInfo | undefined>;
export async function readMeInfo(
  path: string,
  options: { allowNoKey?: true } = {},
): Promise<MeInfo | RekeyInfo | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new InfoFileError(
      `Cannot read ${path}: ${(error as Error).message}`,
    );
  }
  return options.allowNoKey
    ? parseMeInfo(text, { source: path, allowNoKey: true })
    : parseMeInfo(text, { source: path });
}

/**
 * Writes `path` atomically with mode 0600: a crash leaves either the old
 * file or the new one, never a half-written key, and nobody else can read it.
 */
export async function writeMeInfo(path: string, info: MeInfo): Promise<void> {
  const text = formatMeInfo(info);
  const temp = join(
    dirname(path),
    `.${basename(path)}.${crypto.randomUUID()}.tmp`,
  );
  try {
    const file = await Deno.open(temp, {
      write: true,
      createNew: true,
      mode: 0o600,
    });
    try {
      await writeAll(file, new TextEncoder().encode(text));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.chmod(temp, 0o600);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(
      `Cannot write ${path}: ${(error as Error).message}`,
    );
  }
}

/** Deletes `path`; a missing file is fine. */
export async function deleteMeInfo(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new Error(`Cannot delete ${path}: ${(error as Error).message}`);
  }
}
