/** The browser's identity file is the command-line client's me.info. */
import assert from "node:assert/strict";
import { generateKeyPair } from "../../../server/crypto/rsa_oaep.ts";
import { parseMeInfo as parseCli } from "../../../client/me_info.ts";
import { formatMeInfo, parseMeInfo } from "../../../browser/backup/me_info.ts";
import { toBase64 } from "../../../shared/encoding.ts";

Deno.test("formatMeInfo() writes what the command-line client reads", () => {
  const { privateKey } = generateKeyPair();
  const identity = {
    name: "Ann Lee",
    clientId: "0123456789abcdef0123456789abcdef",
    privateKey: privateKey as Uint8Array<ArrayBuffer>,
  };
  const text = formatMeInfo(identity);
  const cli = parseCli(text);
  assert.equal(cli.name, "Ann Lee");
  assert.equal(
    Array.from(cli.clientId, (b) => b.toString(16).padStart(2, "0")).join(""),
    identity.clientId,
  );
  assert.deepEqual(cli.privateKey, privateKey);
  assert.deepEqual(parseMeInfo(text), identity);
});

Deno.test("parseMeInfo() joins a wrapped key and names the line at fault", () => {
  const key = toBase64(new Uint8Array(100).fill(9));
  const wrapped = `bob\r\nABCDEF0123456789ABCDEF0123456789\r\n${
    key.slice(0, 64)
  }\r\n${key.slice(64)}\r\n`;
  const identity = parseMeInfo(wrapped);
  assert.equal(identity.clientId, "abcdef0123456789abcdef0123456789");
  assert.deepEqual(identity.privateKey, new Uint8Array(100).fill(9));
  assert.throws(() => parseMeInfo(""), /Line 1/);
  assert.throws(() => parseMeInfo("bob\n1234\nAAAA"), /Line 2/);
  assert.throws(() => parseMeInfo(`bob\n${"a".repeat(32)}\n`), /Line 3/);
  assert.throws(() => parseMeInfo(`bob\n${"a".repeat(32)}\n!!!`), /Line 3/);
});
