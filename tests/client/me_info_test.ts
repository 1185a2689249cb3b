import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import {
  deleteMeInfo,
  formatMeInfo,
  parseMeInfo,
  readMeInfo,
  writeMeInfo,
} from "../../client/me_info.ts";
import { toHex } from "../../shared/encoding.ts";
import { InfoFileError } from "../../client/transfer_info.ts";
import { generateKeyPair } from "../../server/crypto/rsa_oaep.ts";

const { privateKey } = generateKeyPair();
const KEY64 = Buffer.from(privateKey).toString("base64");
const ID = "00112233445566778899aabbccddeeff";

Deno.test("parseMeInfo() reads name, id and key", () => {
  const me = parseMeInfo(`alice\n${ID}\n${KEY64}\n`);
  assert.equal(me.name, "alice");
  assert.equal(toHex(me.clientId), ID);
  assert.deepEqual(me.privateKey, privateKey);
});

Deno.test("parseMeInfo() joins a key wrapped over several lines, as the classic client writes it", () => {
  const wrapped = KEY64.match(/.{1,72}/g)!.join("\r\n");
  const me = parseMeInfo(`alice\r\n${ID.toUpperCase()}\r\n${wrapped}\r\n`);
  assert.equal(toHex(me.clientId), ID);
  assert.deepEqual(me.privateKey, privateKey);
});

Deno.test("formatMeInfo() output parses back to the same identity", () => {
  const me = {
    name: "bob",
    clientId: crypto.getRandomValues(new Uint8Array(16)),
    privateKey,
  };
  const text = formatMeInfo(me);
  assert.equal(text.split("\n").length, 4);
  assert.deepEqual(parseMeInfo(text), me);
});

Deno.test("parseMeInfo() accepts an identity made in a browser (exponent 65537)", () => {
  const der = generateKeyPairSync("rsa", {
    modulusLength: 1024,
    privateKeyEncoding: { type: "pkcs8", format: "der" },
    publicKeyEncoding: { type: "spki", format: "der" },
  }).privateKey;
  const me = parseMeInfo(`alice\n${ID}\n${der.toString("base64")}`);
  assert.deepEqual(me.privateKey, new Uint8Array(der));
});

Deno.test("parseMeInfo() names the line of each kind of bad input", () => {
  const rsa3 = generateKeyPairSync("rsa", {
    modulusLength: 1024,
    publicExponent: 3,
    privateKeyEncoding: { type: "pkcs8", format: "der" },
    publicKeyEncoding: { type: "spki", format: "der" },
  }).privateKey.toString("base64");
  const rsa2048 = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicExponent: 17,
    privateKeyEncoding: { type: "pkcs8", format: "der" },
    publicKeyEncoding: { type: "spki", format: "der" },
  }).privateKey.toString("base64");
  const ec = generateKeyPairSync("ec", {
    namedCurve: "P-256",
    privateKeyEncoding: { type: "pkcs8", format: "der" },
    publicKeyEncoding: { type: "spki", format: "der" },
  }).privateKey.toString("base64");
  const cases: [string, RegExp][] = [
    ["", /line 1: user name is empty/],
    [`\n${ID}\n${KEY64}`, /line 1: user name is empty/],
    [
      `alice\n${ID.slice(1)}\n${KEY64}`,
      /line 2: expected the client id as 32 hex/,
    ],
    [`alice\n${ID}0\n${KEY64}`, /line 2: expected the client id/],
    [
      `alice\n${ID.replace("0", "g")}\n${KEY64}`,
      /line 2: expected the client id/,
    ],
    [`alice\n${ID}`, /line 3: expected the private key/],
    [`alice\n${ID}\n\n`, /line 3: expected the private key/],
    [`alice\n${ID}\nnot base64!`, /line 3: private key is not valid Base64/],
    [`alice\n${ID}\nAAAA`, /line 3: key is not a PKCS#8 DER private key/],
    [
      `alice\n${ID}\n${rsa3}`,
      /line 3: key has public exponent 3, not 17 or 65537/,
    ],
    [`alice\n${ID}\n${rsa2048}`, /line 3: key has 2048 bits, not 1024/],
    [`alice\n${ID}\n${ec}`, /line 3: key is ec, not RSA/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(
      () => parseMeInfo(text),
      (error: Error) =>
        error instanceof InfoFileError && pattern.test(error.message) &&
        /delete the file to register again/.test(error.message),
      `input ${JSON.stringify(text.slice(0, 60))}`,
    );
  }
});

Deno.test("writeMeInfo() writes atomically with mode 0600, readMeInfo() reads it, deleteMeInfo() removes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "me.info");
    assert.equal(await readMeInfo(path), undefined);
    await Deno.writeTextFile(path, "old content", { mode: 0o644 });
    const me = {
      name: "carol",
      clientId: new Uint8Array(16).fill(7),
      privateKey,
    };
    await writeMeInfo(path, me);
    assert.deepEqual(await readMeInfo(path), me);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["me.info"], "no temporary file is left behind");
    await deleteMeInfo(path);
    assert.equal(await readMeInfo(path), undefined);
    await deleteMeInfo(path); // A missing file is fine.
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeMeInfo() puts a complete new file in place by rename, never rewriting me.info where a reader could see half of it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "me.info");
    await Deno.writeTextFile(path, "old content");
    // A second name for the old file: written in place, it would change too.
    await Deno.link(path, join(dir, "reader"));
    const reader = await Deno.open(path, { read: true });
    const me = {
      name: "erin",
      clientId: new Uint8Array(16).fill(5),
      privateKey,
    };
    try {
      await writeMeInfo(path, me);
      const seen = new Uint8Array(64);
      const n = await reader.read(seen);
      assert.equal(
        new TextDecoder().decode(seen.subarray(0, n ?? 0)),
        "old content",
      );
    } finally {
      reader.close();
    }
    assert.equal(await Deno.readTextFile(join(dir, "reader")), "old content");
    assert.deepEqual(await readMeInfo(path), me);
    assert.notEqual(
      (await Deno.stat(path)).ino,
      (await Deno.stat(join(dir, "reader"))).ino,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeMeInfo() leaves no temporary file when it cannot write", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const me = { name: "dave", clientId: new Uint8Array(16), privateKey };
    await assert.rejects(
      writeMeInfo(join(dir, "missing", "me.info"), me),
      /Cannot write .*me\.info/,
    );
    await Deno.mkdir(join(dir, "me.info"));
    await assert.rejects(writeMeInfo(join(dir, "me.info"), me), /Cannot write/);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), ["me.info"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
