import assert from "node:assert/strict";
import {
  isClientIdHex,
  parseClientIdHex,
} from "../../server/protocol/client_id.ts";

Deno.test("parseClientIdHex() reads 32 hex characters of either case into 16 bytes", () => {
  assert.deepEqual(
    parseClientIdHex("00fF".repeat(8)),
    Uint8Array.from({ length: 16 }, (_, i) => (i % 2 ? 255 : 0)),
  );
  assert.ok(isClientIdHex("ABCDEF0123456789abcdef0123456789"));
});

Deno.test("parseClientIdHex() refuses anything but 32 hex characters", () => {
  for (
    const bad of [
      "",
      "00ff",
      "0".repeat(31),
      "0".repeat(33),
      "g".repeat(32),
      ` ${"0".repeat(31)}`,
    ]
  ) {
    assert.equal(parseClientIdHex(bad), undefined, bad);
    assert.equal(isClientIdHex(bad), false, bad);
  }
});
