/**
 * Raw request bytes for hostile tests, including the ones the client codec
 * refuses to build: any version, code and payload size, name fields without
 * a NUL or with bytes the protocol forbids.
 * @module
 */
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { RequestCode, Size } from "../../server/protocol/constants.ts";
import type { Rng } from "./rng.ts";

/** A 23-byte request header with whatever fields are given. */
export function rawHeader(
  clientId: Uint8Array,
  code: number,
  payloadSize: number,
  version = 3,
): Uint8Array {
  const bytes = new Uint8Array(Size.REQUEST_HEADER);
  bytes.set(clientId.subarray(0, Size.CLIENT_ID));
  const view = new DataView(bytes.buffer);
  view.setUint8(16, version);
  view.setUint16(17, code, true);
  view.setUint32(19, payloadSize >>> 0, true);
  return bytes;
}

/** Header and payload, with the payload's true size in the header. */
export function rawFrame(
  clientId: Uint8Array,
  code: number,
  payload: Uint8Array,
  version = 3,
): Uint8Array {
  return concat(rawHeader(clientId, code, payload.length, version), payload);
}

/** Joins byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * A 255-byte name field holding `text` byte for byte (char codes below 256,
 * so hostile bytes such as NUL or 0xff can be placed), NUL-padded. Text of
 * 255 characters or more fills the field with no terminator.
 */
export function nameField(text: string): Uint8Array {
  const field = new Uint8Array(Size.NAME);
  for (let i = 0; i < Math.min(text.length, Size.NAME); i++) {
    field[i] = text.charCodeAt(i) & 0xff;
  }
  return field;
}

/** Kinds of name field that the codec must refuse. */
export const BAD_FIELDS = ["no-nul", "non-ascii", "control", "del"] as const;

/** A name field the protocol calls invalid input, of the given kind. */
export function badNameField(
  rng: Rng,
  kind: typeof BAD_FIELDS[number],
): Uint8Array {
  const length = rng.range(1, 200);
  const field = nameField(printable(rng, length));
  const at = rng.int(length);
  switch (kind) {
    case "no-nul":
      for (let i = length; i < Size.NAME; i++) field[i] = rng.range(0x21, 0x7e);
      break;
    case "non-ascii":
      field[at] = rng.range(0x80, 0xff);
      break;
    case "control":
      field[at] = rng.range(1, 0x1f);
      break;
    case "del":
      field[at] = 0x7f;
      break;
  }
  return field;
}

/** `n` printable ASCII characters without path separators. */
export function printable(rng: Rng, n: number): string {
  const alphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
  let text = "";
  for (let i = 0; i < n; i++) text += alphabet[rng.int(alphabet.length)];
  return text;
}

/** The fields of a 1028 packet, any of which may be wrong. */
export interface PacketFields {
  contentSize: number;
  origFileSize: number;
  packetNumber: number;
  totalPackets: number;
  name: Uint8Array;
  content: Uint8Array;
}

/** A 1028 frame from its fields, header size matching the bytes sent. */
export function packetFrame(
  clientId: Uint8Array,
  fields: PacketFields,
): Uint8Array {
  const fixed = new Uint8Array(Size.FILE_PACKET_FIXED);
  const view = new DataView(fixed.buffer);
  view.setUint32(0, fields.contentSize >>> 0, true);
  view.setUint32(4, fields.origFileSize >>> 0, true);
  view.setUint16(8, fields.packetNumber & 0xffff, true);
  view.setUint16(10, fields.totalPackets & 0xffff, true);
  fixed.set(fields.name, 12);
  return rawFrame(
    clientId,
    RequestCode.SEND_FILE,
    concat(fixed, fields.content),
  );
}

/**
 * The 1028 frames of a correct upload of `data` under `name`, split at
 * `packetSize` ciphertext bytes.
 */
export function uploadPackets(
  options: {
    clientId: Uint8Array;
    aesKey: Uint8Array;
    name: string;
    data: Uint8Array;
    packetSize: number;
  },
): Uint8Array[] {
  const cipher = encrypt(options.aesKey, options.data);
  const total = Math.max(1, Math.ceil(cipher.length / options.packetSize));
  return Array.from({ length: total }, (_, i) =>
    packetFrame(options.clientId, {
      contentSize: cipher.length,
      origFileSize: options.data.length,
      packetNumber: i + 1,
      totalPackets: total,
      name: nameField(options.name),
      content: cipher.subarray(
        i * options.packetSize,
        (i + 1) * options.packetSize,
      ),
    }));
}
