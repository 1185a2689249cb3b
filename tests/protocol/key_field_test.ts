import assert from "node:assert/strict";
import { concat } from "../soak/fuzz_frames.ts";
import { generateKeyPairSync } from "node:crypto";
import { splitKeyField } from "../../server/protocol/key_field.ts";
import { ProtocolError } from "../../server/protocol/messages.ts";

function spki(publicExponent: number): Uint8Array {
  const { publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 1024,
    publicExponent,
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  return new Uint8Array(publicKey);
}

const E17 = spki(17);
const E65537 = spki(65537);
const E257 = spki(257);

Deno.test("1024-bit SPKIs are 160 bytes with e = 17, 161 with e = 257 and 162 with e = 65537", () => {
  assert.deepEqual([E17.length, E257.length, E65537.length], [160, 161, 162]);
  assert.deepEqual([...E17.subarray(0, 3)], [0x30, 0x81, 0x9d]);
  assert.deepEqual([...E65537.subarray(0, 3)], [0x30, 0x81, 0x9f]);
});

Deno.test("splitKeyField() takes a 160-byte field whole", () => {
  const { der, form } = splitKeyField(E17);
  assert.equal(form, "160");
  assert.equal(der.length, 160);
  assert.ok(der.every((b, i) => b === E17[i]));
});

Deno.test("splitKeyField() drops the 2 junk bytes after a 160-byte SPKI in a 162-byte field", () => {
  const field = concat(E17, Uint8Array.of(0xcd, 0x7f));
  const { der, form } = splitKeyField(field);
  assert.equal(form, "162-junk");
  assert.equal(der.length, 160);
  assert.ok(der.every((b, i) => b === E17[i]));
});

Deno.test("splitKeyField() takes a 162-byte SPKI (e = 65537) whole", () => {
  const { der, form } = splitKeyField(E65537);
  assert.equal(form, "162");
  assert.equal(der.length, 162);
});

Deno.test("splitKeyField() refuses keys that do not fill their field", () => {
  const refused = [
    // 161-byte key plus one junk byte in a 162-byte field.
    concat(E257, Uint8Array.of(0)),
    // A 160-byte field whose DER says 162 bytes.
    E65537.subarray(0, 160),
    // A 162-byte field whose DER says 161.
    concat(E17, Uint8Array.of(0, 0)).map((b, i) => i === 2 ? 0x9e : b),
    // Not a SEQUENCE at all.
    new Uint8Array(160).fill(0x41),
    new Uint8Array(162),
    // A long-form length no 1024-bit key uses.
    concat(Uint8Array.of(0x30, 0x83), new Uint8Array(158)),
  ];
  for (const field of refused) {
    assert.throws(() => splitKeyField(field), ProtocolError);
  }
});
