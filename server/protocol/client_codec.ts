/**
 * The client's half of the codec: requests to bytes, response bytes to typed
 * responses. Used by the command-line client and by tests that play a client;
 * the JSON API takes the same public-key field sizes.
 * @module
 */
import { ByteReader, ByteWriter } from "./bytes.ts";
import {
  PROTOCOL_VERSION,
  RequestCode,
  ResponseCode,
  Size,
} from "./constants.ts";
import type {
  ChecksumVerdictRequest,
  FilePacketHeader,
  PublicKeyRequest,
  ReconnectRequest,
  RegisterRequest,
  Response,
} from "./messages.ts";

/** A request as a client sends it; a file packet carries its content whole. */
export type OutgoingRequest =
  | RegisterRequest
  | ReconnectRequest
  | PublicKeyRequest
  | (FilePacketHeader & {
    code: typeof RequestCode.SEND_FILE;
    clientId: Uint8Array;
    content: Uint8Array;
  })
  | ChecksumVerdictRequest;

/** A 1028 packet's fields, without its content. */
export type FilePacketHead = FilePacketHeader & {
  code: typeof RequestCode.SEND_FILE;
  clientId: Uint8Array;
  contentLength: number;
};

/**
 * Sizes of the 1026 key field a client may send: the SPKI of a 1024-bit key
 * with exponent 17 (160, the default) or 65537 (162, for servers that demand
 * the `BLOB(162)` field; docs/protocol.md, dialects).
 */
export const PUBLIC_KEY_FIELDS: readonly number[] = [
  Size.PUBLIC_KEY,
  Size.PUBLIC_KEY_LONG,
];

/** Bytes before a 1028 packet's content: request header and fixed fields. */
export const FILE_PACKET_HEAD_SIZE = Size.REQUEST_HEADER +
  Size.FILE_PACKET_FIXED;

function requestHeader(
  clientId: Uint8Array,
  code: number,
  payloadSize: number,
  target: number | Uint8Array = Size.REQUEST_HEADER + payloadSize,
): ByteWriter {
  if (clientId.length !== Size.CLIENT_ID) {
    throw new RangeError(
      `Cannot encode request: client id must be ${Size.CLIENT_ID} bytes`,
    );
  }
  return new ByteWriter(target)
    .raw(clientId).u8(PROTOCOL_VERSION).u16(code).u32(payloadSize);
}

/**
 * Writes the first FILE_PACKET_HEAD_SIZE bytes of a 1028 packet into
 * `frame`, whose content the caller places right after: a client streaming
 * a large file reuses its frames instead of building one per packet.
 */
export function writeFilePacketHead(
  frame: Uint8Array,
  head: FilePacketHead,
): void {
  requestHeader(
    head.clientId,
    head.code,
    Size.FILE_PACKET_FIXED + head.contentLength,
    frame,
  )
    .u32(head.contentSize)
    .u32(head.origFileSize)
    .u16(head.packetNumber)
    .u16(head.totalPackets)
    .fixedString(head.fileName, Size.NAME);
}

/** Builds the bytes of a request, header included. */
export function encodeRequest(request: OutgoingRequest): Uint8Array {
  switch (request.code) {
    case RequestCode.REGISTER:
    case RequestCode.RECONNECT:
      return requestHeader(request.clientId, request.code, Size.NAME)
        .fixedString(request.name, Size.NAME).bytes;
    case RequestCode.SEND_PUBLIC_KEY:
      if (!PUBLIC_KEY_FIELDS.includes(request.publicKey.length)) {
        throw new RangeError(
          `Cannot encode public key: expected ${
            PUBLIC_KEY_FIELDS.join(" or ")
          } bytes, got ${request.publicKey.length}`,
        );
      }
      return requestHeader(
        request.clientId,
        request.code,
        Size.NAME + request.publicKey.length,
      ).fixedString(request.name, Size.NAME).raw(request.publicKey).bytes;
    case RequestCode.SEND_FILE: {
      const { content, ...fields } = request;
      const frame = new Uint8Array(FILE_PACKET_HEAD_SIZE + content.length);
      writeFilePacketHead(frame, { ...fields, contentLength: content.length });
      frame.set(content, FILE_PACKET_HEAD_SIZE);
      return frame;
    }
    case RequestCode.CRC_OK:
    case RequestCode.CRC_RETRY:
    case RequestCode.CRC_ABORT:
      return requestHeader(request.clientId, request.code, Size.NAME)
        .fixedString(request.fileName, Size.NAME).bytes;
  }
}

/** The 7-byte response header, parsed. */
export interface ResponseHeader {
  version: number;
  code: number;
  payloadSize: number;
}

/** Parses the 7-byte response header. */
export function decodeResponseHeader(bytes: Uint8Array): ResponseHeader {
  const r = new ByteReader(bytes);
  return { version: r.u8(), code: r.u16(), payloadSize: r.u32() };
}

/** Largest response payload a client reads (1603 is the largest fixed one). */
export const MAX_RESPONSE_PAYLOAD = 4096;

/** Parses a response payload; throws SyntaxError for what the protocol does not allow. */
export function decodeResponse(
  header: ResponseHeader,
  payload: Uint8Array,
): Response {
  const r = new ByteReader(payload);
  const expectEnd = (response: Response): Response => {
    if (r.remaining !== 0) {
      throw new SyntaxError(
        `Cannot parse response ${header.code}: ${r.remaining} unexpected trailing bytes`,
      );
    }
    return response;
  };
  switch (header.code) {
    case ResponseCode.REGISTER_OK:
    case ResponseCode.ACK:
    case ResponseCode.RECONNECT_REJECTED:
      return expectEnd({
        code: header.code,
        clientId: r.bytes(Size.CLIENT_ID),
      });
    case ResponseCode.REGISTER_FAILED:
    case ResponseCode.SERVER_ERROR:
      return expectEnd({ code: header.code });
    case ResponseCode.AES_KEY:
    case ResponseCode.RECONNECT_OK: {
      const clientId = r.bytes(Size.CLIENT_ID);
      if (r.remaining === 0) {
        throw new SyntaxError(
          `Cannot parse response ${header.code}: no encrypted key`,
        );
      }
      return {
        code: header.code,
        clientId,
        encryptedKey: r.bytes(r.remaining),
      };
    }
    case ResponseCode.FILE_RECEIVED:
      return expectEnd({
        code: header.code,
        clientId: r.bytes(Size.CLIENT_ID),
        contentSize: r.u32(),
        fileName: r.fixedString(Size.NAME, "utf-8"),
        checksum: r.u32(),
      });
    default:
      throw new SyntaxError(
        `Cannot parse response: unknown response code ${header.code}`,
      );
  }
}
