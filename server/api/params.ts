/**
 * Parsing of the API's untrusted inputs (JSON fields, query parameters)
 * into the values the protocol's messages carry, with the same rules the
 * TCP codec applies to its fixed fields. Pure: no I/O.
 * @module
 */
import { parsePublicKey } from "../crypto/rsa_oaep.ts";
import { fromBase64 } from "../../shared/encoding.ts";
import { parseClientIdHex } from "../protocol/client_id.ts";
import { PUBLIC_KEY_FIELDS } from "../protocol/client_codec.ts";
import { MAX_PACKETS, MAX_U32 } from "../protocol/constants.ts";
import { checkUserName, MAX_WIRE_USER_NAME } from "../protocol/names.ts";
import { encryptedSize } from "../protocol/packet_plan.ts";
import { checkFileName } from "../storage/file_name.ts";
import { ApiError } from "./errors.ts";

const BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A user name as 1025 / 1027 carry it. */
export function parseUserName(value: unknown): string {
  if (typeof value !== "string") {
    throw new ApiError("invalid_name", 'Cannot read name: "name" is missing');
  }
  const problem = checkUserName(value, MAX_WIRE_USER_NAME);
  if (problem) {
    throw new ApiError("invalid_name", `Cannot use name: ${problem}`);
  }
  return value;
}

/** A client id as 32 hex characters, to its 16 bytes. */
export function parseClientId(value: unknown): Uint8Array {
  const id = typeof value === "string" ? parseClientIdHex(value) : undefined;
  if (!id) {
    throw new ApiError(
      "invalid_client_id",
      'Cannot read client id: "clientId" must be 32 hex characters',
    );
  }
  return id;
}

/** Strict standard base64 to bytes; undefined when it is not. */
export function decodeBase64(text: string): Uint8Array | undefined {
  return BASE64.test(text) ? fromBase64(text) : undefined;
}

/**
 * A public key for 1026: base64 of a DER SPKI holding a 1024-bit RSA key.
 * Over HTTP the 162-byte form (exponent 65537, all Web Crypto can make) is
 * accepted besides the 160 bytes of the TCP field.
 */
export function parsePublicKeyField(value: unknown): Uint8Array {
  if (typeof value !== "string") {
    throw new ApiError(
      "invalid_public_key",
      'Cannot read public key: "publicKey" is missing',
    );
  }
  const key = decodeBase64(value.trim());
  if (!key) {
    throw new ApiError(
      "invalid_public_key",
      "Cannot read public key: not standard base64",
    );
  }
  if (!PUBLIC_KEY_FIELDS.includes(key.length)) {
    throw new ApiError(
      "invalid_public_key",
      `Cannot read public key: ${key.length} bytes, expected a 160- or 162-byte SubjectPublicKeyInfo`,
    );
  }
  try {
    parsePublicKey(key);
  } catch (error) {
    throw new ApiError("invalid_public_key", (error as Error).message);
  }
  return key;
}

/** A file name for 1028-1031: one plain path component the store accepts. */
export function parseFileName(value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new ApiError(
      "invalid_file_name",
      "Cannot read file name: it is missing",
    );
  }
  const problem = checkFileName(value);
  if (problem) {
    throw new ApiError(
      "invalid_file_name",
      `Cannot use file name "${value}": ${problem}`,
    );
  }
  return value;
}

function integer(
  params: URLSearchParams,
  name: string,
  range: { min: number; max: number; required: boolean },
): number | undefined {
  const text = params.get(name);
  if (text === null || text === "") {
    if (!range.required) return undefined;
    throw new ApiError(
      "invalid_packet",
      `Cannot read file packet: query parameter "${name}" is missing`,
    );
  }
  const value = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(value >= range.min && value <= range.max)) {
    throw new ApiError(
      "invalid_packet",
      `Cannot read file packet: "${name}" must be an integer from ${range.min} to ${range.max}`,
    );
  }
  return value;
}

/** The 1028 fields a packet request carries in its query string. */
export interface PacketParams {
  fileName: string;
  packetNumber: number;
  totalPackets: number;
  origFileSize: number;
  contentSize: number;
  /** This packet's ciphertext length, when given as `length`. */
  length?: number;
}

/**
 * Reads `file`, `packet`, `total`, `size` and the optional `contentSize`
 * (which must then be the encrypted size of `size`) and `length`.
 */
export function parsePacketParams(params: URLSearchParams): PacketParams {
  const fileName = parseFileName(params.get("file"));
  const totalPackets = integer(params, "total", {
    min: 1,
    max: MAX_PACKETS,
    required: true,
  })!;
  const packetNumber = integer(params, "packet", {
    min: 1,
    max: totalPackets,
    required: true,
  })!;
  const origFileSize = integer(params, "size", {
    min: 0,
    max: MAX_U32,
    required: true,
  })!;
  const expected = encryptedSize(origFileSize);
  const contentSize = integer(params, "contentSize", {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    required: false,
  }) ?? expected;
  if (contentSize !== expected || contentSize > MAX_U32) {
    throw new ApiError(
      "invalid_packet",
      `Cannot read file packet: content size ${contentSize} does not fit a ${origFileSize}-byte file (expected ${expected})`,
    );
  }
  const length = integer(params, "length", {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    required: false,
  });
  return {
    fileName,
    packetNumber,
    totalPackets,
    origFileSize,
    contentSize,
    length,
  };
}
