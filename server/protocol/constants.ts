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
