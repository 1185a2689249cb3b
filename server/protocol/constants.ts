/**
 * Codes and sizes of the CyberBackup wire protocol, version 3.
 * See `docs/protocol.md`, sections "Framing", "Requests" and "Responses".
 * @module
 */

/** The protocol version this server speaks and answers with. */
export const PROTOCOL_VERSION = 3;

/** Request codes (client to server). */
export const RequestCode = {
  REGISTER: 1025,
  SEND_PUBLIC_KEY: 1026,
  RECONNECT: 1027,
  SEND_FILE: 1028,
  CRC_OK: 1029,
  CRC_RETRY: 1030,
  CRC_ABORT: 1031,
} as const;
/** One of the request codes. */
export type RequestCode = typeof RequestCode[keyof typeof RequestCode];

/** Response codes (server to client). */
export const ResponseCode = {
  REGISTER_OK: 1600,
  REGISTER_FAILED: 1601,
  AES_KEY: 1602,
  FILE_RECEIVED: 1603,
  ACK: 1604,
  RECONNECT_OK: 1605,
  RECONNECT_REJECTED: 1606,
  SERVER_ERROR: 1607,
} as const;
/** One of the response codes. */
export type ResponseCode = typeof ResponseCode[keyof typeof ResponseCode];

/** Field and header sizes in bytes. */
export const Size = {
  CLIENT_ID: 16,
  NAME: 255,
  /** The 1026 key field as specified: a 160-byte SubjectPublicKeyInfo (e = 17). */
  PUBLIC_KEY: 160,
  /** The 1026 key field some clients send: 162 bytes (see `docs/protocol.md`, "Dialects"). */
  PUBLIC_KEY_LONG: 162,
  AES_KEY: 32,
  AES_BLOCK: 16,
  REQUEST_HEADER: 23,
  RESPONSE_HEADER: 7,
  /** `ContentSize u32 | OrigFileSize u32 | PacketNumber u16 | TotalPackets u16 | FileName[255]`. */
  FILE_PACKET_FIXED: 4 + 4 + 2 + 2 + 255,
} as const;

/** The largest value of a u32 field, so the largest file the protocol can describe. */
export const MAX_U32 = 0xffff_ffff;
/** The largest packet count a u16 field can carry. */
export const MAX_PACKETS = 0xffff;

/**
 * Request codes of the restore extension (docs/protocol.md, "Restore
 * extension"): outside the classic range, so classic clients never send them.
 */
export const RestoreRequestCode = {
  PROVE_KEY: 1100,
  LIST: 1101,
  FETCH: 1102,
} as const;
/** One of the restore request codes. */
export type RestoreRequestCode =
  typeof RestoreRequestCode[keyof typeof RestoreRequestCode];

/** Response codes of the restore extension; classic clients never see them. */
export const RestoreResponseCode = {
  KEY_PROVEN: 2100,
  STREAM_BEGIN: 2101,
  SEALED: 2102,
  REFUSED: 2103,
} as const;
/** One of the restore response codes. */
export type RestoreResponseCode =
  typeof RestoreResponseCode[keyof typeof RestoreResponseCode];

/** Field sizes of the restore extension in bytes. */
export const RestoreSize = {
  /** HMAC-SHA256 tag of 1100. */
  PROOF: 32,
  /** Random HKDF salt of each stream (2101). */
  SALT: 32,
  /** AES-GCM authentication tag, at the end of each sealed body. */
  TAG: 16,
  /** AES-GCM nonce. */
  NONCE: 12,
  BLAKE3: 32,
  /** ISO-8601 UTC time with milliseconds: `2026-11-30T21:15:47.123Z`. */
  TIME: 24,
  /** `FileName[255] | Version u32 | Offset u32`. */
  FETCH: 255 + 4 + 4,
  /** `Seq u32 | Final u8` before a sealed body. */
  SEALED_FIXED: 5,
  /** Plaintext bytes of file content per sealed frame. */
  CONTENT_PER_FRAME: 1024 * 1024,
  /** Largest message of a 2103 refusal, in UTF-8 bytes. */
  MAX_REFUSAL_MESSAGE: 1024,
} as const;
