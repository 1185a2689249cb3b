/**
 * The restore extension's messages, bytes to types and back, for both ends
 * (server, command-line client, browser). Pure: no I/O, no Deno APIs, no
 * cryptography (the callers seal and open with AES-256-GCM; this file only
 * lays out the nonce, the associated data and the HKDF inputs). See
 * docs/protocol.md, "Restore extension".
 * @module
 */
import { ByteReader, ByteWriter } from "./bytes.ts";
import {
  PROTOCOL_VERSION,
  ResponseCode,
  RestoreRequestCode,
  RestoreResponseCode,
  RestoreSize,
  Size,
} from "./constants.ts";
import { ProtocolError, type RequestHeader } from "./messages.ts";
import { fromHex, toHex } from "../../shared/encoding.ts";

/** 1100: proof that the sender holds this session's AES key. */
export interface ProveKeyRequest {
  code: typeof RestoreRequestCode.PROVE_KEY;
  clientId: Uint8Array;
  /** HMAC-SHA256(session AES key, proofMessage(clientId)). */
  proof: Uint8Array;
}

/** 1101: list every kept version of every name of the session's client. */
export interface ListRequest {
  code: typeof RestoreRequestCode.LIST;
  clientId: Uint8Array;
}

/** 1102: one version of one file, from a plaintext offset on. */
export interface FetchRequest {
  code: typeof RestoreRequestCode.FETCH;
  clientId: Uint8Array;
  fileName: string;
  /** Version number (1 = oldest); 0 for the newest kept version. */
  version: number;
  /** First plaintext byte to send (0, or where an interrupted restore stopped). */
  offset: number;
}

/** Every request of the restore extension. */
export type RestoreRequest = ProveKeyRequest | ListRequest | FetchRequest;

/** Why a proven session's restore request was refused (2103 `Reason`). */
export const RefusalReason = {
  /** No kept version of that name. */
  NO_SUCH_FILE: 1,
  /** The name exists, the version number does not (or was removed). */
  NO_SUCH_VERSION: 2,
  /** The offset lies beyond the version's size. */
  BAD_OFFSET: 3,
  /** The stored content cannot be read (missing object, I/O error). */
  UNAVAILABLE: 4,
} as const;
/** One of the refusal reasons. */
export type RefusalReason = typeof RefusalReason[keyof typeof RefusalReason];

/** Every first response to a restore request. */
export type RestoreResponse =
  | { code: typeof RestoreResponseCode.KEY_PROVEN; clientId: Uint8Array }
  | {
    code: typeof RestoreResponseCode.STREAM_BEGIN;
    clientId: Uint8Array;
    /** Random per stream: the HKDF salt of its key. */
    salt: Uint8Array;
  }
  | {
    code: typeof RestoreResponseCode.REFUSED;
    clientId: Uint8Array;
    reason: RefusalReason;
    message: string;
  }
  | { code: typeof ResponseCode.SERVER_ERROR };

/** The fields before a 2102 sealed body. */
export interface SealedHead {
  /** 0, 1, 2, ... within the stream. */
  seq: number;
  /** True on the last frame of the stream. */
  final: boolean;
}

/** One kept version, as 1101 lists it. */
export interface VersionRecord {
  fileName: string;
  number: number;
  size: number;
  checksum: number;
  /** 64 hex characters. */
  blake3: string;
  /** ISO-8601 UTC with milliseconds. */
  storedAt: string;
  pinned: boolean;
}

/** What frame 0 of a 1102 stream says about the version that follows. */
export interface FetchMeta {
  number: number;
  size: number;
  /** The request's offset: content frames carry bytes offset..size. */
  offset: number;
  /** POSIX cksum of the whole plaintext. */
  checksum: number;
  /** BLAKE3 of the whole plaintext, 64 hex characters. */
  blake3: string;
  storedAt: string;
}

const ENCODER = new TextEncoder();
/** HKDF `info` prefix of every stream key. */
const STREAM_LABEL = ENCODER.encode("CyberBackup restore v1");
/** HMAC message prefix of the 1100 proof. */
const PROOF_LABEL = ENCODER.encode("CyberBackup restore proof v1");
const UTF8 = new TextDecoder("utf-8", { fatal: true });
/** Fixed bytes of a version record besides its name. */
const RECORD_FIXED = 2 + 4 + 4 + 4 + RestoreSize.BLAKE3 + RestoreSize.TIME + 1;
/** Bytes of frame 0 of a fetch. */
export const FETCH_META_SIZE = 4 + 4 + 4 + 4 + RestoreSize.BLAKE3 +
  RestoreSize.TIME;
/** Largest plaintext of a list frame: whole records up to this many bytes. */
export const LIST_FRAME_BYTES = 64 * 1024;
/** Largest 2102 payload: a content frame. */
export const MAX_SEALED_PAYLOAD = RestoreSize.SEALED_FIXED +
  RestoreSize.CONTENT_PER_FRAME + RestoreSize.TAG;

/** True for the codes of the restore extension's requests. */
export function isRestoreRequestCode(
  code: number,
): code is RestoreRequestCode {
  return code === RestoreRequestCode.PROVE_KEY ||
    code === RestoreRequestCode.LIST || code === RestoreRequestCode.FETCH;
}

declare const checked: unique symbol;

/**
 * A request header {@link checkRestoreHeader} accepted: only such a header
 * decodes, so the check runs once, where the header is read.
 */
export type RestoreHeader = RequestHeader & {
  code: RestoreRequestCode;
  readonly [checked]: true;
};

/**
 * Checks a restore request's header before its payload is read: version 3
 * only (the extension is new) and the code's exact payload size.
 */
export function checkRestoreHeader(header: RequestHeader): RestoreHeader {
  if (header.version !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `Cannot serve restore request: protocol version ${header.version}, the extension needs ${PROTOCOL_VERSION}`,
    );
  }
  if (!isRestoreRequestCode(header.code)) {
    throw new ProtocolError(
      `Cannot serve request: unknown request code ${header.code}`,
    );
  }
  const size = restorePayloadSize(header.code);
  if (header.payloadSize !== size) {
    throw new ProtocolError(
      `Cannot serve request ${header.code}: payload of ${header.payloadSize} bytes is not ${size}`,
    );
  }
  return header as RestoreHeader;
}

/** The one payload size of each restore request. */
export function restorePayloadSize(code: RestoreRequestCode): number {
  switch (code) {
    case RestoreRequestCode.PROVE_KEY:
      return RestoreSize.PROOF;
    case RestoreRequestCode.LIST:
      return 0;
    case RestoreRequestCode.FETCH:
      return RestoreSize.FETCH;
  }
}

/**
 * Parses a restore request's payload, the `payloadSize` bytes after its
 * checked header.
 */
export function decodeRestoreRequest(
  header: RestoreHeader,
  payload: Uint8Array,
): RestoreRequest {
  if (payload.length !== header.payloadSize) {
    throw new RangeError(
      `Cannot parse restore request ${header.code}: payload of ${payload.length} bytes, its header says ${header.payloadSize}`,
    );
  }
  const clientId = header.clientId;
  const r = new ByteReader(payload);
  switch (header.code) {
    case RestoreRequestCode.PROVE_KEY:
      return {
        code: RestoreRequestCode.PROVE_KEY,
        clientId,
        proof: r.bytes(RestoreSize.PROOF),
      };
    case RestoreRequestCode.LIST:
      return { code: RestoreRequestCode.LIST, clientId };
    case RestoreRequestCode.FETCH: {
      let fileName: string;
      try {
        fileName = r.fixedString(Size.NAME, "utf-8");
      } catch (error) {
        throw new ProtocolError(
          `Cannot parse file name: ${(error as Error).message}`,
        );
      }
      return {
        code: RestoreRequestCode.FETCH,
        clientId,
        fileName,
        version: r.u32(),
        offset: r.u32(),
      };
    }
  }
}

/** The request's payload bytes, as sent (HKDF binds each stream to them). */
export function restorePayload(request: RestoreRequest): Uint8Array {
  switch (request.code) {
    case RestoreRequestCode.PROVE_KEY:
      return request.proof.slice();
    case RestoreRequestCode.LIST:
      return new Uint8Array(0);
    case RestoreRequestCode.FETCH:
      return new ByteWriter(RestoreSize.FETCH)
        .fixedString(request.fileName, Size.NAME)
        .u32(request.version)
        .u32(request.offset).bytes;
  }
}

/** A restore request's bytes, header included (client side). */
export function encodeRestoreRequest(request: RestoreRequest): Uint8Array {
  const payload = restorePayload(request);
  if (request.clientId.length !== Size.CLIENT_ID) {
    throw new RangeError(
      `Cannot encode request: client id must be ${Size.CLIENT_ID} bytes`,
    );
  }
  return new ByteWriter(Size.REQUEST_HEADER + payload.length)
    .raw(request.clientId).u8(PROTOCOL_VERSION).u16(request.code)
    .u32(payload.length).raw(payload).bytes;
}

function responseHeader(code: number, payloadSize: number): ByteWriter {
  return new ByteWriter(Size.RESPONSE_HEADER + payloadSize)
    .u8(PROTOCOL_VERSION).u16(code).u32(payloadSize);
}

/** A first response's bytes, header included (server side). */
export function encodeRestoreResponse(response: RestoreResponse): Uint8Array {
  switch (response.code) {
    case RestoreResponseCode.KEY_PROVEN:
      return responseHeader(response.code, Size.CLIENT_ID)
        .raw(response.clientId).bytes;
    case RestoreResponseCode.STREAM_BEGIN:
      return responseHeader(response.code, Size.CLIENT_ID + RestoreSize.SALT)
        .raw(response.clientId).raw(response.salt).bytes;
    case RestoreResponseCode.REFUSED: {
      let message = ENCODER.encode(response.message);
      // Cut at a character boundary, so the message stays valid UTF-8.
      for (
        let text = response.message;
        message.length > RestoreSize.MAX_REFUSAL_MESSAGE;
      ) {
        text = text.slice(0, -1);
        message = ENCODER.encode(text);
      }
      return responseHeader(response.code, Size.CLIENT_ID + 2 + message.length)
        .raw(response.clientId).u16(response.reason).raw(message).bytes;
    }
    case ResponseCode.SERVER_ERROR:
      return responseHeader(response.code, 0).bytes;
  }
}

/** The largest payload each restore response may carry (client side). */
export function maxRestorePayload(code: number): number | undefined {
  switch (code) {
    case RestoreResponseCode.KEY_PROVEN:
      return Size.CLIENT_ID;
    case RestoreResponseCode.STREAM_BEGIN:
      return Size.CLIENT_ID + RestoreSize.SALT;
    case RestoreResponseCode.REFUSED:
      return Size.CLIENT_ID + 2 + RestoreSize.MAX_REFUSAL_MESSAGE;
    case RestoreResponseCode.SEALED:
      return MAX_SEALED_PAYLOAD;
    case ResponseCode.SERVER_ERROR:
      return 0;
    default:
      return undefined;
  }
}

/**
 * Parses a first response (2100, 2101, 2103, 1607); throws SyntaxError for
 * anything else, 2102 included (see `decodeSealedHead`).
 */
export function decodeRestoreResponse(
  code: number,
  payload: Uint8Array,
): RestoreResponse {
  const r = new ByteReader(payload);
  const end = <T>(value: T): T => {
    if (r.remaining !== 0) {
      throw new SyntaxError(
        `Cannot parse response ${code}: ${r.remaining} unexpected trailing bytes`,
      );
    }
    return value;
  };
  switch (code) {
    case RestoreResponseCode.KEY_PROVEN:
      return end({ code, clientId: r.bytes(Size.CLIENT_ID) });
    case RestoreResponseCode.STREAM_BEGIN:
      return end({
        code,
        clientId: r.bytes(Size.CLIENT_ID),
        salt: r.bytes(RestoreSize.SALT),
      });
    case RestoreResponseCode.REFUSED: {
      const clientId = r.bytes(Size.CLIENT_ID);
      const reason = r.u16() as RefusalReason;
      let message: string;
      try {
        message = UTF8.decode(r.bytes(r.remaining));
      } catch {
        throw new SyntaxError(
          "Cannot parse response 2103: message is not UTF-8",
        );
      }
      return { code, clientId, reason, message };
    }
    case ResponseCode.SERVER_ERROR:
      return end({ code });
    default:
      throw new SyntaxError(
        `Cannot parse response: ${code} is not a restore response`,
      );
  }
}

/**
 * Writes the 7-byte header and the `Seq | Final` fields of a 2102 frame
 * whose sealed body (ciphertext then tag) of `sealedLength` bytes follows
 * at offset SEALED_BODY_AT of `frame`.
 */
export function writeSealedHead(
  frame: Uint8Array,
  head: SealedHead & { sealedLength: number },
): void {
  new ByteWriter(frame)
    .u8(PROTOCOL_VERSION)
    .u16(RestoreResponseCode.SEALED)
    .u32(RestoreSize.SEALED_FIXED + head.sealedLength)
    .u32(head.seq)
    .u8(head.final ? 1 : 0);
}

/** Where a 2102 frame's sealed body starts, header included. */
export const SEALED_BODY_AT = Size.RESPONSE_HEADER + RestoreSize.SEALED_FIXED;

/** Parses the fields that open a 2102 payload. */
export function decodeSealedHead(payload: Uint8Array): SealedHead {
  if (payload.length < RestoreSize.SEALED_FIXED + RestoreSize.TAG) {
    throw new SyntaxError(
      `Cannot parse response 2102: ${payload.length} bytes cannot hold a sealed body`,
    );
  }
  const r = new ByteReader(payload);
  const seq = r.u32();
  const flag = r.u8();
  if (flag > 1) {
    throw new SyntaxError(`Cannot parse response 2102: Final is ${flag}`);
  }
  return { seq, final: flag === 1 };
}

/** The AES-GCM nonce of frame `seq`: `Seq u32` then 8 zero bytes. */
export function sealedNonce(seq: number): Uint8Array<ArrayBuffer> {
  return fresh(new ByteWriter(RestoreSize.NONCE).u32(seq));
}

/** The AES-GCM associated data of a frame: its `Seq u32 | Final u8`. */
export function sealedAad(head: SealedHead): Uint8Array<ArrayBuffer> {
  return fresh(
    new ByteWriter(RestoreSize.SEALED_FIXED).u32(head.seq)
      .u8(head.final ? 1 : 0),
  );
}

/**
 * The HKDF-SHA256 `info` of a stream's key: the label, the client id, the
 * request code and the request payload, so a stream decrypts only as the
 * answer to the very request that asked for it.
 */
export function streamKeyInfo(
  request: RestoreRequest,
): Uint8Array<ArrayBuffer> {
  const payload = restorePayload(request);
  return fresh(
    new ByteWriter(STREAM_LABEL.length + Size.CLIENT_ID + 2 + payload.length)
      .raw(STREAM_LABEL).raw(request.clientId).u16(request.code).raw(payload),
  );
}

/** The message whose HMAC under the session key is the 1100 proof. */
export function proofMessage(clientId: Uint8Array): Uint8Array<ArrayBuffer> {
  return fresh(
    new ByteWriter(PROOF_LABEL.length + Size.CLIENT_ID)
      .raw(PROOF_LABEL).raw(clientId),
  );
}

/**
 * The bytes of a writer made with a size, typed as what they are (a plain
 * ArrayBuffer), so Web Crypto in the browser takes them as they are.
 */
function fresh(writer: ByteWriter): Uint8Array<ArrayBuffer> {
  return writer.bytes as Uint8Array<ArrayBuffer>;
}

function checkTime(time: string): string {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(time)) {
    throw new RangeError(
      `Cannot encode time "${time}": not ISO-8601 UTC with ms`,
    );
  }
  return time;
}

function readTime(r: ByteReader): string {
  return checkTime(new TextDecoder().decode(r.bytes(RestoreSize.TIME)));
}

/** The bytes of one version record of a list frame. */
export function encodeVersionRecord(record: VersionRecord): Uint8Array {
  const name = ENCODER.encode(record.fileName);
  return new ByteWriter(RECORD_FIXED + name.length)
    .u16(name.length).raw(name)
    .u32(record.number).u32(record.size).u32(record.checksum)
    .raw(fromHex(record.blake3))
    .raw(ENCODER.encode(checkTime(record.storedAt)))
    .u8(record.pinned ? 1 : 0).bytes;
}

/** Parses the whole records of one list frame's plaintext. */
export function decodeVersionRecords(plain: Uint8Array): VersionRecord[] {
  const r = new ByteReader(plain);
  const records: VersionRecord[] = [];
  while (r.remaining > 0) {
    const length = r.u16();
    let fileName: string;
    try {
      fileName = UTF8.decode(r.bytes(length));
    } catch {
      throw new SyntaxError("Cannot parse version record: name is not UTF-8");
    }
    records.push({
      fileName,
      number: r.u32(),
      size: r.u32(),
      checksum: r.u32(),
      blake3: toHex(r.bytes(RestoreSize.BLAKE3)),
      storedAt: readTime(r),
      pinned: r.u8() === 1,
    });
  }
  return records;
}

/** The plaintext of frame 0 of a fetch. */
export function encodeFetchMeta(meta: FetchMeta): Uint8Array {
  return new ByteWriter(FETCH_META_SIZE)
    .u32(meta.number).u32(meta.size).u32(meta.offset).u32(meta.checksum)
    .raw(fromHex(meta.blake3))
    .raw(ENCODER.encode(checkTime(meta.storedAt))).bytes;
}

/** Parses the plaintext of frame 0 of a fetch. */
export function decodeFetchMeta(plain: Uint8Array): FetchMeta {
  if (plain.length !== FETCH_META_SIZE) {
    throw new SyntaxError(
      `Cannot parse fetch metadata: ${plain.length} bytes, expected ${FETCH_META_SIZE}`,
    );
  }
  const r = new ByteReader(plain);
  return {
    number: r.u32(),
    size: r.u32(),
    offset: r.u32(),
    checksum: r.u32(),
    blake3: toHex(r.bytes(RestoreSize.BLAKE3)),
    storedAt: readTime(r),
  };
}
