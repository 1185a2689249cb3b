import assert from "node:assert/strict";
import {
  checkRequestHeader,
  decodeFilePacketHeader,
  decodeRequest,
  decodeRequestHeader,
  encodeResponse,
} from "../../server/protocol/codec.ts";
import {
  decodeResponse,
  decodeResponseHeader,
  encodeRequest,
  type OutgoingRequest,
} from "../../server/protocol/client_codec.ts";
import {
  RequestCode,
  ResponseCode,
  Size,
} from "../../server/protocol/constants.ts";
import {
  ProtocolError,
  type Response,
} from "../../server/protocol/messages.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

const ID = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const KEY = Uint8Array.from({ length: 160 }, (_, i) => (i * 7) & 0xff);
const MAX_PACKET = 1024 * 1024;

function split(bytes: Uint8Array) {
  const header = decodeRequestHeader(bytes.subarray(0, Size.REQUEST_HEADER));
  return { header, payload: bytes.subarray(Size.REQUEST_HEADER) };
}

Deno.test("encodeRequest() and decodeRequest() round-trip every fixed-payload request", () => {
  const requests: OutgoingRequest[] = [
    { code: RequestCode.REGISTER, clientId: new Uint8Array(16), name: "alice" },
    { code: RequestCode.RECONNECT, clientId: ID, name: "a".repeat(254) },
    {
      code: RequestCode.SEND_PUBLIC_KEY,
      clientId: ID,
      name: "bob",
      publicKey: KEY,
    },
    { code: RequestCode.CRC_OK, clientId: ID, fileName: "report.pdf" },
    { code: RequestCode.CRC_RETRY, clientId: ID, fileName: "x" },
    { code: RequestCode.CRC_ABORT, clientId: ID, fileName: "y.txt" },
  ];
  for (const request of requests) {
    const { header, payload } = split(encodeRequest(request));
    assert.equal(header.version, 3);
    assert.equal(header.payloadSize, payload.length);
    assert.equal(checkRequestHeader(header, MAX_PACKET), request.code);
    assert.deepEqual(decodeRequest(header, payload), request);
  }
});

Deno.test("a file packet round-trips its fixed fields and carries its content after them", () => {
  const content = Uint8Array.from({ length: 48 }, (_, i) => i);
  const bytes = encodeRequest({
    code: RequestCode.SEND_FILE,
    clientId: ID,
    contentSize: 96,
    origFileSize: 90,
    packetNumber: 1,
    totalPackets: 2,
    fileName: "data.bin",
    content,
  });
  const { header, payload } = split(bytes);
  assert.equal(header.code, RequestCode.SEND_FILE);
  assert.equal(payload.length, Size.FILE_PACKET_FIXED + 48);
  assert.deepEqual(
    decodeFilePacketHeader(payload.subarray(0, Size.FILE_PACKET_FIXED)),
    {
      contentSize: 96,
      origFileSize: 90,
      packetNumber: 1,
      totalPackets: 2,
      fileName: "data.bin",
    },
  );
  assertBytesEqual(payload.subarray(Size.FILE_PACKET_FIXED), content);
});

Deno.test("encodeResponse() and decodeResponse() round-trip every response", () => {
  const responses: Response[] = [
    { code: ResponseCode.REGISTER_OK, clientId: ID },
    { code: ResponseCode.REGISTER_FAILED },
    {
      code: ResponseCode.AES_KEY,
      clientId: ID,
      encryptedKey: new Uint8Array(128).fill(9),
    },
    {
      code: ResponseCode.FILE_RECEIVED,
      clientId: ID,
      contentSize: 0xfffffff0,
      fileName: "f.txt",
      checksum: 0xdeadbeef,
    },
    { code: ResponseCode.ACK, clientId: ID },
    {
      code: ResponseCode.RECONNECT_OK,
      clientId: ID,
      encryptedKey: new Uint8Array(128).fill(1),
    },
    { code: ResponseCode.RECONNECT_REJECTED, clientId: ID },
    { code: ResponseCode.SERVER_ERROR },
  ];
  for (const response of responses) {
    const bytes = encodeResponse(response);
    const header = decodeResponseHeader(
      bytes.subarray(0, Size.RESPONSE_HEADER),
    );
    assert.equal(header.version, 3);
    assert.equal(header.payloadSize, bytes.length - Size.RESPONSE_HEADER);
    assert.deepEqual(
      decodeResponse(header, bytes.subarray(Size.RESPONSE_HEADER)),
      response,
    );
  }
});

Deno.test("1603 is laid out byte for byte as the spec says", () => {
  const bytes = encodeResponse({
    code: ResponseCode.FILE_RECEIVED,
    clientId: ID,
    contentSize: 0x01020304,
    fileName: "ab",
    checksum: 0x0a0b0c0d,
  });
  assert.equal(bytes.length, 7 + 16 + 4 + 255 + 4);
  assert.deepEqual([...bytes.subarray(0, 7)], [
    3,
    0x43,
    0x06,
    0x117 & 0xff,
    1,
    0,
    0,
  ]);
  assert.deepEqual([...bytes.subarray(23, 27)], [4, 3, 2, 1]);
  assert.deepEqual([...bytes.subarray(27, 30)], [0x61, 0x62, 0]);
  assert.deepEqual([...bytes.subarray(282)], [0x0d, 0x0c, 0x0b, 0x0a]);
});

function header(code: number, payloadSize: number, version = 3) {
  return { clientId: ID, version, code, payloadSize };
}

Deno.test("checkRequestHeader() refuses unknown codes, wrong sizes and 4 GiB payloads before reading them", () => {
  const refused = [
    header(999, 255),
    header(RequestCode.REGISTER, 254),
    header(RequestCode.REGISTER, 256),
    header(RequestCode.SEND_PUBLIC_KEY, 255),
    header(RequestCode.SEND_FILE, 0xffffffff),
    header(RequestCode.SEND_FILE, Size.FILE_PACKET_FIXED - 1),
    header(RequestCode.CRC_OK, 0),
    header(RequestCode.REGISTER, 255, 9),
  ];
  for (const h of refused) {
    assert.throws(() => checkRequestHeader(h, MAX_PACKET), ProtocolError);
  }
  assert.equal(
    checkRequestHeader(header(RequestCode.SEND_FILE, MAX_PACKET), MAX_PACKET),
    RequestCode.SEND_FILE,
  );
});

function nameField(bytes: number[]): Uint8Array {
  const field = new Uint8Array(Size.NAME);
  field.set(bytes);
  return field;
}

Deno.test("decodeRequest() refuses names without NUL, with control or non-ASCII bytes", () => {
  const h = header(RequestCode.REGISTER, Size.NAME);
  const noNul = new Uint8Array(Size.NAME).fill(0x41);
  assert.throws(() => decodeRequest(h, noNul), /not NUL-terminated/);
  assert.throws(
    () => decodeRequest(h, nameField([0x61, 0x0a, 0x62])),
    ProtocolError,
  );
  assert.throws(
    () => decodeRequest(h, nameField([0x61, 0xc3, 0xa9])),
    /non-ASCII/,
  );
  assert.equal(
    (decodeRequest(h, nameField([0x61, 0, 0x62])) as { name: string }).name,
    "a",
  );
});

Deno.test("decodeRequestHeader() refuses a short header", () => {
  assert.throws(() => decodeRequestHeader(new Uint8Array(22)), RangeError);
});

Deno.test("encodeRequest() refuses names that do not fit the field", () => {
  assert.throws(
    () =>
      encodeRequest({
        code: RequestCode.REGISTER,
        clientId: ID,
        name: "a".repeat(255),
      }),
    RangeError,
  );
  assert.throws(
    () =>
      encodeRequest({
        code: RequestCode.CRC_OK,
        clientId: ID,
        fileName: "\u00e9".repeat(128), // 256 bytes in UTF-8
      }),
    RangeError,
  );
  assert.throws(
    () =>
      encodeRequest({
        code: RequestCode.CRC_OK,
        clientId: ID,
        fileName: "a\0b",
      }),
    RangeError,
  );
});

Deno.test("file names travel as UTF-8; user names stay ASCII", () => {
  const name = "r\u00e9sum\u00e9.txt";
  const verdict = split(
    encodeRequest({ code: RequestCode.CRC_OK, clientId: ID, fileName: name }),
  );
  assert.deepEqual(
    verdict.payload.subarray(0, 13),
    Uint8Array.from([
      0x72,
      0xc3,
      0xa9,
      0x73,
      0x75,
      0x6d,
      0xc3,
      0xa9,
      0x2e,
      0x74,
      0x78,
      0x74,
      0,
    ]),
  );
  assert.deepEqual(decodeRequest(verdict.header, verdict.payload), {
    code: RequestCode.CRC_OK,
    clientId: ID,
    fileName: name,
  });
  const longest = "\u00e9".repeat(127);
  const packet = split(encodeRequest({
    code: RequestCode.SEND_FILE,
    clientId: ID,
    contentSize: 16,
    origFileSize: 1,
    packetNumber: 1,
    totalPackets: 1,
    fileName: longest,
    content: new Uint8Array(16),
  }));
  assert.equal(
    decodeFilePacketHeader(
      packet.payload.subarray(0, Size.FILE_PACKET_FIXED),
    ).fileName,
    longest,
  );
  const response = encodeResponse({
    code: ResponseCode.FILE_RECEIVED,
    clientId: ID,
    contentSize: 48,
    fileName: name,
    checksum: 1,
  });
  assert.equal(
    (decodeResponse(
      decodeResponseHeader(response.subarray(0, Size.RESPONSE_HEADER)),
      response.subarray(Size.RESPONSE_HEADER),
    ) as { fileName: string }).fileName,
    name,
  );
  // Not UTF-8 (a lone lead byte, an overlong "/"), or a control byte: refused.
  for (
    const bad of [[0x61, 0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x61, 0x1b]]
  ) {
    assert.throws(
      () => decodeRequest(verdict.header, nameField(bad)),
      ProtocolError,
      JSON.stringify(bad),
    );
  }
  // A user name in UTF-8 is still refused.
  assert.throws(
    () =>
      decodeRequest(
        header(RequestCode.REGISTER, Size.NAME),
        nameField([0x61, 0xc3, 0xa9]),
      ),
    /non-ASCII/,
  );
});

Deno.test("checkRequestHeader() takes a 1026 payload of 415 or 417 bytes and nothing between", () => {
  for (const size of [415, 417]) {
    assert.equal(
      checkRequestHeader(
        header(RequestCode.SEND_PUBLIC_KEY, size),
        MAX_PACKET,
      ),
      RequestCode.SEND_PUBLIC_KEY,
    );
  }
  for (const size of [414, 416, 418]) {
    assert.throws(
      () =>
        checkRequestHeader(
          header(RequestCode.SEND_PUBLIC_KEY, size),
          MAX_PACKET,
        ),
      ProtocolError,
    );
  }
});

Deno.test("decodeRequest() hands over a 162-byte key field whole", () => {
  const field = Uint8Array.from({ length: 162 }, (_, i) => (i * 5) & 0xff);
  const payload = new Uint8Array(Size.NAME + 162);
  payload.set(nameField([0x62, 0x6f, 0x62]));
  payload.set(field, Size.NAME);
  const request = decodeRequest(
    header(RequestCode.SEND_PUBLIC_KEY, payload.length),
    payload,
  );
  assert.equal(request.code, RequestCode.SEND_PUBLIC_KEY);
  if (request.code !== RequestCode.SEND_PUBLIC_KEY) return;
  assert.equal(request.name, "bob");
  assert.equal(request.publicKey.length, 162);
  assert.ok(request.publicKey.every((b, i) => b === field[i]));
});
