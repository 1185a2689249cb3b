/** The API's inputs parse like the protocol's fixed fields. */
import assert from "node:assert/strict";
import { ApiError } from "../../server/api/errors.ts";
import {
  parseClientId,
  parsePacketParams,
  parseUserName,
} from "../../server/api/params.ts";

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return error.code;
  }
}

Deno.test("parsePacketParams() reads the 1028 fields and derives the content size", () => {
  const params = parsePacketParams(
    new URLSearchParams("file=a.txt&packet=2&total=3&size=100"),
  );
  assert.deepEqual(params, {
    fileName: "a.txt",
    packetNumber: 2,
    totalPackets: 3,
    origFileSize: 100,
    contentSize: 112,
    length: undefined,
  });
  const explicit = parsePacketParams(
    new URLSearchParams(
      "file=b&packet=1&total=1&size=16&contentSize=32&length=32",
    ),
  );
  assert.equal(explicit.contentSize, 32);
  assert.equal(explicit.length, 32);
});

Deno.test("parsePacketParams() refuses numbers outside the protocol's fields", () => {
  for (
    const query of [
      "file=a&packet=1&total=1&size=4294967296",
      "file=a&packet=1&total=65536&size=1",
      "file=a&packet=1.5&total=2&size=1",
      "file=a&packet=1&total=1&size=1e3",
      "file=a&packet=1&total=1&size=0x10",
      "file=a&packet=1&total=1&size=1&length=-1",
    ]
  ) {
    assert.equal(
      codeOf(() => parsePacketParams(new URLSearchParams(query))),
      "invalid_packet",
      query,
    );
  }
});

Deno.test("parseUserName() and parseClientId() accept what the wire can carry", () => {
  assert.equal(parseUserName("Ann Lee"), "Ann Lee");
  assert.equal(codeOf(() => parseUserName("\u00e9")), "invalid_name");
  assert.deepEqual(
    parseClientId("00ff".repeat(8)),
    Uint8Array.from({ length: 16 }, (_, i) => (i % 2 ? 255 : 0)),
  );
  assert.equal(codeOf(() => parseClientId("00ff")), "invalid_client_id");
});
