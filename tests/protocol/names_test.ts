import assert from "node:assert/strict";
import {
  checkUserName,
  MAX_USER_NAME,
  MAX_WIRE_USER_NAME,
} from "../../server/protocol/names.ts";

Deno.test("checkUserName() follows the command-line client's rule for names", () => {
  assert.equal(checkUserName("alice"), undefined);
  assert.match(checkUserName("x".repeat(101)) ?? "", /100/);
  assert.match(checkUserName("caf\u00e9") ?? "", /ASCII/);
  assert.match(checkUserName(" a") ?? "", /space/);
});

Deno.test("checkUserName() lets the server take every name the 255-byte field carries", () => {
  assert.equal(MAX_USER_NAME, 100);
  assert.equal(MAX_WIRE_USER_NAME, 254);
  assert.equal(checkUserName("y".repeat(254), MAX_WIRE_USER_NAME), undefined);
  assert.match(
    checkUserName("y".repeat(255), MAX_WIRE_USER_NAME) ?? "",
    /at most 254/,
  );
  assert.match(checkUserName("", MAX_WIRE_USER_NAME) ?? "", /empty/);
  assert.match(checkUserName("trail ", MAX_WIRE_USER_NAME) ?? "", /space/);
});
