/**
 * Typed protocol messages: what the codec parses untrusted bytes into, and
 * what the session core answers with. Nothing here touches I/O.
 * @module
 */
import { RequestCode, ResponseCode } from "./constants.ts";

/** The 23-byte request header, parsed. */
export interface RequestHeader {
  clientId: Uint8Array;
  version: number;
  code: number;
  payloadSize: number;
}

/** 1025: register a new client under a name. */
export interface RegisterRequest {
  code: typeof RequestCode.REGISTER;
  clientId: Uint8Array;
  name: string;
}

/**
 * 1026: the client's RSA public key. `publicKey` is the key field exactly as
 * sent, 160 or 162 bytes (its length is the field size): a DER
 * SubjectPublicKeyInfo, in the 162-byte field possibly followed by 2 junk
 * bytes; `splitKeyField()` finds the key in it.
 */
export interface PublicKeyRequest {
  code: typeof RequestCode.SEND_PUBLIC_KEY;
  clientId: Uint8Array;
  name: string;
  publicKey: Uint8Array;
}

/** 1027: a returning client asks for a new session key. */
export interface ReconnectRequest {
  code: typeof RequestCode.RECONNECT;
  clientId: Uint8Array;
  name: string;
}

/** The fixed fields of a 1028 file packet; the content follows separately. */
export interface FilePacketHeader {
  /**
   * Size of the whole encrypted file (the same in every packet) or of this
   * packet's content, depending on the client's dialect (`docs/protocol.md`).
   */
  contentSize: number;
  origFileSize: number;
  packetNumber: number;
  totalPackets: number;
  fileName: string;
}

/**
 * 1028: one packet of an encrypted file. The content is streamed: the
 * transport yields chunks that are only valid until the next one is asked
 * for, so a consumer must finish with each chunk before pulling the next.
 */
export interface FilePacketRequest extends FilePacketHeader {
  code: typeof RequestCode.SEND_FILE;
  clientId: Uint8Array;
  /** Number of ciphertext bytes in this packet. */
  contentLength: number;
  content: AsyncIterable<Uint8Array>;
}

/** 1029 / 1030 / 1031: the client's verdict on the checksum. */
export interface ChecksumVerdictRequest {
  code:
    | typeof RequestCode.CRC_OK
    | typeof RequestCode.CRC_RETRY
    | typeof RequestCode.CRC_ABORT;
  clientId: Uint8Array;
  fileName: string;
}

/** Every request the server understands. */
export type Request =
  | RegisterRequest
  | PublicKeyRequest
  | ReconnectRequest
  | FilePacketRequest
  | ChecksumVerdictRequest;

/** Every response the server sends. */
export type Response =
  | { code: typeof ResponseCode.REGISTER_OK; clientId: Uint8Array }
  | { code: typeof ResponseCode.REGISTER_FAILED }
  | {
    code: typeof ResponseCode.AES_KEY | typeof ResponseCode.RECONNECT_OK;
    clientId: Uint8Array;
    encryptedKey: Uint8Array;
  }
  | {
    code: typeof ResponseCode.FILE_RECEIVED;
    clientId: Uint8Array;
    contentSize: number;
    fileName: string;
    checksum: number;
  }
  | { code: typeof ResponseCode.ACK; clientId: Uint8Array }
  | { code: typeof ResponseCode.RECONNECT_REJECTED; clientId: Uint8Array }
  | { code: typeof ResponseCode.SERVER_ERROR };

/**
 * A request the server cannot serve. `code` is the response to send
 * (1607 unless a handler says otherwise).
 */
export class ProtocolError extends Error {
  readonly response: number;
  constructor(message: string, response: number = ResponseCode.SERVER_ERROR) {
    super(message);
    this.name = "ProtocolError";
    this.response = response;
  }
}
