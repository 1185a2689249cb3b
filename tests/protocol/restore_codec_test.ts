/** The restore extension's codec: exact sizes, round trips, refusals. */
import assert from "node:assert/strict";
import {
  ResponseCode,
  RestoreRequestCode,
  RestoreResponseCode,
} from "../../server/protocol/constants.ts";
import { decodeRequestHeader } from "../../server/protocol/codec.ts";
import { ProtocolError } from "../../server/protocol/messages.ts";
import {
  checkRestoreHeader,
  decodeFetchMeta,
  decodeRestoreRequest,
  decodeRestoreResponse,
  decodeVersionRecords,
  encodeFetchMeta,
  encodeRestoreRequest,
  encodeRestoreResponse,
  encodeVersionRecord,
  FETCH_META_SIZE,
  type FetchMeta,
  isRestoreRequestCode,
  RefusalReason,
  type VersionRecord,
} from "../../server/protocol/restore_codec.ts";

const ID = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

Deno.test("a 1102 is 23 + 263 bytes laid out as docs/protocol.md shows, and decodes back", () => {
  const bytes = encodeRestoreRequest({
    code: RestoreRequestCode.FETCH,
    clientId: ID,
    fileName: "notes.txt",
    version: 2,
    offset: 0,
  });
  assert.equal(bytes.length, 286);
  assert.deepEqual([...bytes.subarray(16, 23)], [
    0x03,
    0x4e,
    0x04,
    0x07,
    0x01,
    0,
    0,
  ]);
  assert.equal(new TextDecoder().decode(bytes.subarray(23, 32)), "notes.txt");
  assert.deepEqual([...bytes.subarray(0x116, 0x11e)], [2, 0, 0, 0, 0, 0, 0, 0]);
  const header = checkRestoreHeader(decodeRequestHeader(bytes.subarray(0, 23)));
  assert.deepEqual(decodeRestoreRequest(header, bytes.subarray(23)), {
    code: RestoreRequestCode.FETCH,
    clientId: ID,
    fileName: "notes.txt",
    version: 2,
    offset: 0,
  });
});

Deno.test("decodeRestoreRequest() takes only a checked header, and a payload of its size", () => {
  const bytes = encodeRestoreRequest({ code: 1101, clientId: ID });
  const header = decodeRequestHeader(bytes.subarray(0, 23));
  // @ts-expect-error: the header is checked once, before the payload is read.
  decodeRestoreRequest(header, bytes.subarray(23));
  assert.throws(
    () => decodeRestoreRequest(checkRestoreHeader(header), new Uint8Array(1)),
    RangeError,
  );
});

Deno.test("checkRestoreHeader() refuses another version or payload size, and classic codes are not restore codes", () => {
  const header = { clientId: ID, version: 3, code: 1101, payloadSize: 0 };
  assert.equal(checkRestoreHeader(header).code, 1101);
  assert.throws(
    () => checkRestoreHeader({ ...header, version: 2 }),
    ProtocolError,
  );
  assert.throws(
    () => checkRestoreHeader({ ...header, payloadSize: 1 }),
    ProtocolError,
  );
  assert.throws(
    () => checkRestoreHeader({ ...header, code: 1100, payloadSize: 31 }),
    ProtocolError,
  );
  for (const code of [1025, 1026, 1027, 1028, 1029, 1030, 1031, 1099, 1103]) {
    assert.equal(isRestoreRequestCode(code), false);
  }
});

Deno.test("a fetch whose file name field has no NUL is a ProtocolError", () => {
  const bytes = encodeRestoreRequest({
    code: RestoreRequestCode.FETCH,
    clientId: ID,
    fileName: "x",
    version: 0,
    offset: 0,
  });
  bytes.fill(0x41, 23, 23 + 255);
  assert.throws(
    () =>
      decodeRestoreRequest(
        checkRestoreHeader(decodeRequestHeader(bytes.subarray(0, 23))),
        bytes.subarray(23),
      ),
    ProtocolError,
  );
});

Deno.test("first responses round-trip: 2100, 2101, 2103 with its message, 1607", () => {
  const salt = new Uint8Array(32).fill(9);
  for (
    const response of [
      { code: RestoreResponseCode.KEY_PROVEN, clientId: ID },
      { code: RestoreResponseCode.STREAM_BEGIN, clientId: ID, salt },
      {
        code: RestoreResponseCode.REFUSED,
        clientId: ID,
        reason: RefusalReason.NO_SUCH_VERSION,
        message: 'Cannot restore "résumé": no version 3',
      },
      { code: ResponseCode.SERVER_ERROR },
    ] as const
  ) {
    const bytes = encodeRestoreResponse(response);
    const code = bytes[1] | (bytes[2] << 8);
    assert.deepEqual(decodeRestoreResponse(code, bytes.subarray(7)), response);
  }
  assert.throws(
    () => decodeRestoreResponse(1603, new Uint8Array(0)),
    SyntaxError,
  );
});

Deno.test("version records and fetch metadata round-trip; the metadata is 72 bytes", () => {
  const record: VersionRecord = {
    fileName: "résumé.txt",
    number: 3,
    size: 123456,
    checksum: 0xb3beab91,
    blake3: "ab".repeat(32),
    storedAt: "2026-11-30T21:15:47.123Z",
    pinned: true,
  };
  const two = [record, { ...record, number: 4, pinned: false }];
  const bytes = new Uint8Array(
    two.flatMap((r) => [...encodeVersionRecord(r)]),
  );
  assert.deepEqual(decodeVersionRecords(bytes), two);
  const meta: FetchMeta = {
    number: 3,
    size: 10,
    offset: 4,
    checksum: 1,
    blake3: "cd".repeat(32),
    storedAt: "2026-11-30T21:15:47.123Z",
  };
  assert.equal(FETCH_META_SIZE, 72);
  assert.deepEqual(decodeFetchMeta(encodeFetchMeta(meta)), meta);
  assert.throws(() => decodeFetchMeta(new Uint8Array(71)), SyntaxError);
});

Deno.test("a long 2103 message is cut to 1,024 bytes at a character boundary", () => {
  const bytes = encodeRestoreResponse({
    code: RestoreResponseCode.REFUSED,
    clientId: ID,
    reason: RefusalReason.NO_SUCH_FILE,
    message: "é".repeat(600),
  });
  assert.equal(bytes.length, 7 + 18 + 1024);
  const decoded = decodeRestoreResponse(2103, bytes.subarray(7));
  assert.equal(decoded.code === 2103 && decoded.message, "é".repeat(512));
});
