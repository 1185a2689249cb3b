/**
 * Bytes on the wire to typed messages and back. Pure: no I/O, no Deno APIs,
 * used by the server, the command-line client and the tests.
 * @module
 */
import { ByteReader, ByteWriter } from "./bytes.ts";
import {
  PROTOCOL_VERSION,
  RequestCode,
  ResponseCode,
  Size,
} from "./constants.ts";
import {
  type FilePacketHeader,
  ProtocolError,
  type Request,
  type RequestHeader,
  type Response,
} from "./messages.ts";

/** Request versions whose payload layout equals version 3's. */
const ACCEPTED_VERSIONS: ReadonlySet<number> = new Set([1, 2, 3]);

/** Parses the 23-byte request header. */
export function decodeRequestHeader(bytes: Uint8Array): RequestHeader {
  if (bytes.length !== Size.REQUEST_HEADER) {
    throw new RangeError(
      `Cannot parse request header: expected ${Size.REQUEST_HEADER} bytes, got ${bytes.length}`,
    );
  }
  const r = new ByteReader(bytes);
  return {
    clientId: r.bytes(Size.CLIENT_ID),
    version: r.u8(),
    code: r.u16(),
    payloadSize: r.u32(),
  };
}

/** The payload size range a request code allows. */
export interface PayloadBounds {
  min: number;
  max: number;
  /** When set, the only sizes allowed within min..max. */
  only?: readonly number[];
}

/**
 * Checks a header before any payload is read, so a hostile `payload_size`
 * is refused without allocating it. Returns the header's code as a known
 * request code; throws ProtocolError otherwise.
 */
export function checkRequestHeader(
  header: RequestHeader,
  maxPacketBytes: number,
): RequestCode {
  if (!ACCEPTED_VERSIONS.has(header.version)) {
    throw new ProtocolError(
      `Cannot serve request: unsupported protocol version ${header.version}`,
    );
  }
  const bounds = payloadBounds(header.code, maxPacketBytes);
  if (!bounds) {
    throw new ProtocolError(
      `Cannot serve request: unknown request code ${header.code}`,
    );
  }
  if (
    header.payloadSize < bounds.min || header.payloadSize > bounds.max ||
    (bounds.only && !bounds.only.includes(header.payloadSize))
  ) {
    const allowed = bounds.only
      ? bounds.only.join(" or ")
      : `${bounds.min}..${bounds.max}`;
    throw new ProtocolError(
      `Cannot serve request ${header.code}: payload of ${header.payloadSize} bytes is not ${allowed}`,
    );
  }
  return header.code as RequestCode;
}

/** Fixed or bounded payload size of each request code; undefined when unknown. */
export function payloadBounds(
  code: number,
  maxPacketBytes: number,
): PayloadBounds | undefined {
  switch (code) {
    case RequestCode.REGISTER:
    case RequestCode.RECONNECT:
    case RequestCode.CRC_OK:
    case RequestCode.CRC_RETRY:
    case RequestCode.CRC_ABORT:
      return { min: Size.NAME, max: Size.NAME };
    case RequestCode.SEND_PUBLIC_KEY:
      // 415 or 417: the key field is 160 or 162 bytes (docs/protocol.md).
      return {
        min: Size.NAME + Size.PUBLIC_KEY,
        max: Size.NAME + Size.PUBLIC_KEY_LONG,
        only: [Size.NAME + Size.PUBLIC_KEY, Size.NAME + Size.PUBLIC_KEY_LONG],
      };
    case RequestCode.SEND_FILE:
      return {
        min: Size.FILE_PACKET_FIXED,
        max: Math.max(Size.FILE_PACKET_FIXED, maxPacketBytes),
      };
    default:
      return undefined;
  }
}

function parseField<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof RangeError) {
      throw new ProtocolError(`Cannot parse ${what}: ${error.message}`);
    }
    throw error;
  }
}

/**
 * Parses the payload of every request but 1028 (whose content is streamed;
 * see `decodeFilePacketHeader`).
 */
export function decodeRequest(
  header: RequestHeader,
  payload: Uint8Array,
): Exclude<Request, { code: typeof RequestCode.SEND_FILE }> {
  const r = new ByteReader(payload);
  const clientId = header.clientId;
  switch (header.code) {
    case RequestCode.REGISTER:
    case RequestCode.RECONNECT:
      return {
        code: header.code,
        clientId,
        name: parseField("name", () => r.fixedString(Size.NAME)),
      };
    case RequestCode.SEND_PUBLIC_KEY:
      return {
        code: header.code,
        clientId,
        name: parseField("name", () => r.fixedString(Size.NAME)),
        publicKey: parseField("public key", () => r.bytes(r.remaining)),
      };
    case RequestCode.CRC_OK:
    case RequestCode.CRC_RETRY:
    case RequestCode.CRC_ABORT:
      return {
        code: header.code,
        clientId,
        fileName: parseField(
          "file name",
          () => r.fixedString(Size.NAME, "utf-8"),
        ),
      };
    default:
      throw new ProtocolError(
        `Cannot parse request: code ${header.code} has no fixed payload`,
      );
  }
}

/** Parses the 267 fixed bytes that open a 1028 file packet. */
export function decodeFilePacketHeader(bytes: Uint8Array): FilePacketHeader {
  return parseField("file packet", () => {
    const r = new ByteReader(bytes);
    return {
      contentSize: r.u32(),
      origFileSize: r.u32(),
      packetNumber: r.u16(),
      totalPackets: r.u16(),
      fileName: r.fixedString(Size.NAME, "utf-8"),
    };
  });
}

function responseHeader(
  code: number,
  payloadSize: number,
): ByteWriter {
  return new ByteWriter(Size.RESPONSE_HEADER + payloadSize)
    .u8(PROTOCOL_VERSION).u16(code).u32(payloadSize);
}

/** Builds the bytes of a response, header included. */
export function encodeResponse(response: Response): Uint8Array {
  switch (response.code) {
    case ResponseCode.REGISTER_OK:
    case ResponseCode.ACK:
    case ResponseCode.RECONNECT_REJECTED:
      return responseHeader(response.code, Size.CLIENT_ID)
        .raw(response.clientId).bytes;
    case ResponseCode.REGISTER_FAILED:
    case ResponseCode.SERVER_ERROR:
      return responseHeader(response.code, 0).bytes;
    case ResponseCode.AES_KEY:
    case ResponseCode.RECONNECT_OK:
      return responseHeader(
        response.code,
        Size.CLIENT_ID + response.encryptedKey.length,
      ).raw(response.clientId).raw(response.encryptedKey).bytes;
    case ResponseCode.FILE_RECEIVED:
      return responseHeader(response.code, Size.CLIENT_ID + 4 + Size.NAME + 4)
        .raw(response.clientId)
        .u32(response.contentSize)
        .fixedString(response.fileName, Size.NAME)
        .u32(response.checksum).bytes;
  }
}
