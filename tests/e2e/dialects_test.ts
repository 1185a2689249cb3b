/**
 * The dialect matrix (docs/protocol.md, "Dialects"): a test client over real
 * TCP speaks every combination of key field × IV prefix × ContentSize
 * meaning against the real server; every file must arrive byte-identical
 * with the checksum `/usr/bin/cksum` prints, and every near miss must get
 * 1607 with the session going on.
 */
import assert from "node:assert/strict";
import { concat } from "../soak/fuzz_frames.ts";
import { createHash, generateKeyPairSync } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { decryptKey, generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import { ByteWriter } from "../../server/protocol/bytes.ts";
import {
  PROTOCOL_VERSION,
  RequestCode,
  ResponseCode,
  Size,
} from "../../server/protocol/constants.ts";
import type { Response } from "../../server/protocol/messages.ts";
import {
  clientDir,
  RawClient,
  startServer,
  type TestServer,
} from "./harness.ts";

type KeyForm = "160" | "162-junk" | "162";
type Sizes = "total" | "per-packet";

interface Dialect {
  key: KeyForm;
  prefix: boolean;
  sizes: Sizes;
}

interface Speaker {
  raw: RawClient;
  clientId: Uint8Array;
  name: string;
  aesKey: Uint8Array;
  privateKey: Uint8Array;
}

const KEY_FORMS: KeyForm[] = ["160", "162-junk", "162"];
const PACKET = 1024;
const BIG = 50 * 1024 * 1024;
const BIG_PACKET = 1024 * 1024;

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65536)));
  }
  return bytes;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A key pair and the 1026 key field of the given form. */
function keyOf(
  form: KeyForm,
  exponent = form === "162" ? 65537 : 17,
): { field: Uint8Array; privateKey: Uint8Array } {
  const pair = exponent === 17 ? generateKeyPair() : (() => {
    const p = generateKeyPairSync("rsa", {
      modulusLength: 1024,
      publicExponent: exponent,
      publicKeyEncoding: { type: "spki", format: "der" },
      privateKeyEncoding: { type: "pkcs8", format: "der" },
    });
    return {
      publicKey: new Uint8Array(p.publicKey),
      privateKey: new Uint8Array(p.privateKey),
    };
  })();
  const field = form === "162-junk"
    ? concat(pair.publicKey, randomBytes(2))
    : pair.publicKey;
  return { field, privateKey: pair.privateKey };
}

function frame(
  clientId: Uint8Array,
  code: number,
  payload: Uint8Array,
): Uint8Array {
  return new ByteWriter(Size.REQUEST_HEADER + payload.length)
    .raw(clientId).u8(PROTOCOL_VERSION).u16(code).u32(payload.length)
    .raw(payload).bytes;
}

function keyFrame(
  clientId: Uint8Array,
  name: string,
  field: Uint8Array,
): Uint8Array {
  const payload = new ByteWriter(Size.NAME + field.length)
    .fixedString(name, Size.NAME).raw(field).bytes;
  return frame(clientId, RequestCode.SEND_PUBLIC_KEY, payload);
}

/** Registers `name` and sends its key in the field form (1025, 1026). */
async function speaker(
  server: TestServer,
  name: string,
  form: KeyForm,
): Promise<Speaker> {
  const raw = await RawClient.connect(server.port);
  const registered = await raw.request({
    code: RequestCode.REGISTER,
    clientId: new Uint8Array(16),
    name,
  });
  assert.equal(registered?.code, ResponseCode.REGISTER_OK);
  if (registered?.code !== ResponseCode.REGISTER_OK) throw new Error();
  const { field, privateKey } = keyOf(form);
  await raw.write(keyFrame(registered.clientId, name, field));
  const keyed = await raw.read();
  assert.equal(keyed?.code, ResponseCode.AES_KEY, `1026 of ${name}`);
  if (keyed?.code !== ResponseCode.AES_KEY) throw new Error();
  return {
    raw,
    clientId: registered.clientId,
    name,
    aesKey: decryptKey(privateKey, keyed.encryptedKey),
    privateKey,
  };
}

interface PacketPlan {
  /** The content of each packet, in order (prefix included in the first). */
  contents: Uint8Array[];
  /** ContentSize of each packet. */
  sizes: number[];
}

/** Splits the wire bytes of an upload into packets as the dialect says. */
function plan(
  wire: Uint8Array,
  sizes: Sizes,
  packetSize: number,
): PacketPlan {
  const count = Math.max(1, Math.ceil(wire.length / packetSize));
  const contents = Array.from(
    { length: count },
    (_, i) => wire.subarray(i * packetSize, (i + 1) * packetSize),
  );
  return {
    contents,
    sizes: contents.map((c) => sizes === "total" ? wire.length : c.length),
  };
}

/** The ciphertext the client puts on the wire, with or without the prefix. */
function wireOf(s: Speaker, data: Uint8Array, prefix: boolean): Uint8Array {
  const cipher = encrypt(s.aesKey, data);
  return prefix ? concat(new Uint8Array(16), cipher) : cipher;
}

/** Sends the packets of one upload and returns the one answer it gets. */
async function send(
  s: Speaker,
  file: { name: string; origFileSize: number; plan: PacketPlan },
): Promise<Response | null> {
  const { contents, sizes } = file.plan;
  for (let i = 0; i < contents.length; i++) {
    const payload = new ByteWriter(Size.FILE_PACKET_FIXED + contents[i].length)
      .u32(sizes[i]).u32(file.origFileSize).u16(i + 1).u16(contents.length)
      .fixedString(file.name, Size.NAME).raw(contents[i]).bytes;
    await s.raw.write(frame(s.clientId, RequestCode.SEND_FILE, payload));
  }
  return await s.raw.read();
}

/** What `/usr/bin/cksum` prints for a file: checksum and length. */
async function coreutilsCksum(path: string): Promise<[number, number]> {
  const out = await new Deno.Command("/usr/bin/cksum", { args: [path] })
    .output();
  const [sum, length] = new TextDecoder().decode(out.stdout).split(" ");
  return [Number(sum), Number(length)];
}

/** Uploads `data` in the dialect, confirms it, checks the stored copy. */
async function uploadAndVerify(
  server: TestServer,
  s: Speaker,
  options: {
    file: string;
    data: Uint8Array;
    dialect: Dialect;
    packetSize: number;
  },
): Promise<void> {
  const { file, data, dialect } = options;
  const what = `${file} (${JSON.stringify(dialect)}, ${data.length} bytes)`;
  const wire = wireOf(s, data, dialect.prefix);
  const answer = await send(s, {
    name: file,
    origFileSize: data.length,
    plan: plan(wire, dialect.sizes, options.packetSize),
  });
  assert.equal(answer?.code, ResponseCode.FILE_RECEIVED, what);
  if (answer?.code !== ResponseCode.FILE_RECEIVED) return;
  assert.equal(answer.checksum, cksum(data), what);
  assert.equal(answer.contentSize, data.length, what);
  const ack = await s.raw.request({
    code: RequestCode.CRC_OK,
    clientId: s.clientId,
    fileName: file,
  });
  assert.equal(ack?.code, ResponseCode.ACK, what);
  const path = `${clientDir(server, s.clientId)}/${file}`;
  const stored = await Deno.readFile(path);
  assert.equal(stored.length, data.length, what);
  assert.equal(sha256(stored), sha256(data), what);
  assert.deepEqual(
    await coreutilsCksum(path),
    [answer.checksum, data.length],
    what,
  );
}

/** A plaintext size whose upload puts exactly `wire` bytes on the wire. */
function sizeForWire(wire: number, prefix: boolean): number {
  return wire - (prefix ? 16 : 0) - 1;
}

function dbRow<T>(server: TestServer, sql: string, ...params: Uint8Array[]) {
  const db = new DatabaseSync(`${server.dataDir}/defensive.db`, {
    readOnly: true,
  });
  try {
    return { ...db.prepare(sql).get(...params) } as T;
  } finally {
    db.close();
  }
}

const DIALECTS: Dialect[] = KEY_FORMS.flatMap((key) =>
  [true, false].flatMap((prefix) =>
    (["total", "per-packet"] as const).map((sizes) => ({ key, prefix, sizes }))
  )
);

Deno.test("every dialect uploads files of 0, 1, 15, 16, 17 bytes, one full packet and two, byte-identical", async () => {
  const server = await startServer();
  try {
    let n = 0;
    for (const dialect of DIALECTS) {
      const s = await speaker(server, `speaker-${n++}`, dialect.key);
      try {
        for (const size of [0, 1, 15, 16, 17]) {
          // One packet, and packets of one block each.
          for (const packetSize of [PACKET, 16]) {
            await uploadAndVerify(server, s, {
              file: `small-${size}-${packetSize}.bin`,
              data: randomBytes(size),
              dialect,
              packetSize,
            });
          }
        }
        for (const packets of [1, 2]) {
          const size = sizeForWire(packets * PACKET, dialect.prefix);
          await uploadAndVerify(server, s, {
            file: `exact-${packets}.bin`,
            data: randomBytes(size),
            dialect,
            packetSize: PACKET,
          });
        }
        const row = dbRow<
          {
            KeyField: string;
            IvPrefix: number;
            SizeMeaning: string;
            KeyLength: number;
          }
        >(
          server,
          `SELECT KeyField, IvPrefix, SizeMeaning, length(PublicKey) AS KeyLength
           FROM clients WHERE ID = ?`,
          s.clientId,
        );
        assert.deepEqual(row, {
          KeyField: dialect.key,
          IvPrefix: dialect.prefix ? 1 : 0,
          SizeMeaning: dialect.sizes,
          KeyLength: dialect.key === "162" ? 162 : 160,
        });
        const transfer = dbRow<{ Dialect: string }>(
          server,
          `SELECT Dialect FROM transfers WHERE ClientID = ?
           ORDER BY TransferID DESC LIMIT 1`,
          s.clientId,
        );
        assert.equal(
          transfer.Dialect,
          `${dialect.prefix ? "iv-prefix" : "no-prefix"} ${dialect.sizes}`,
        );
      } finally {
        s.raw.close();
      }
    }
  } finally {
    await server.stop();
  }
});

Deno.test("every dialect carries a 50 MiB file byte-identical", async () => {
  const server = await startServer();
  try {
    const data = randomBytes(BIG);
    let n = 0;
    for (const dialect of DIALECTS) {
      const s = await speaker(server, `big-${n++}`, dialect.key);
      try {
        await uploadAndVerify(server, s, {
          file: "big.bin",
          data,
          dialect,
          packetSize: BIG_PACKET,
        });
      } finally {
        s.raw.close();
      }
    }
  } finally {
    await server.stop();
  }
});

Deno.test("a client reconnects with each key field form and gets a key its private key opens", async () => {
  const server = await startServer();
  try {
    for (const form of KEY_FORMS) {
      const s = await speaker(server, `returning-${form}`, form);
      s.raw.close();
      const raw = await RawClient.connect(server.port);
      try {
        const answer = await raw.request({
          code: RequestCode.RECONNECT,
          clientId: s.clientId,
          name: s.name,
        });
        assert.equal(answer?.code, ResponseCode.RECONNECT_OK, form);
        if (answer?.code !== ResponseCode.RECONNECT_OK) continue;
        assert.equal(decryptKey(s.privateKey, answer.encryptedKey).length, 32);
      } finally {
        raw.close();
      }
    }
  } finally {
    await server.stop();
  }
});

/** One near miss: its packets, sent after a valid registration. */
interface NearMiss {
  what: string;
  sizes: Sizes;
  /** Builds the upload's packets from the honest wire bytes. */
  packets(wire: Uint8Array): PacketPlan;
  prefix: boolean;
}

const NEAR_MISSES: NearMiss[] = [
  {
    what: "content one byte short (total)",
    sizes: "total",
    prefix: false,
    packets: (wire) => {
      const p = plan(wire.subarray(0, wire.length - 1), "total", 64);
      return { ...p, sizes: p.sizes.map(() => wire.length) };
    },
  },
  {
    what: "content one byte short (per packet)",
    sizes: "per-packet",
    prefix: true,
    packets: (wire) =>
      plan(wire.subarray(0, wire.length - 1), "per-packet", 64),
  },
  {
    what: "a prefix that is not zeros where the size says prefix",
    sizes: "total",
    prefix: true,
    packets: (wire) => {
      const bad = wire.slice();
      bad[5] = 1;
      return plan(bad, "total", 64);
    },
  },
  {
    what: "a per-packet size that disagrees with the bytes sent",
    sizes: "per-packet",
    prefix: false,
    packets: (wire) => {
      const p = plan(wire, "per-packet", 64);
      p.sizes[1] += 16;
      return p;
    },
  },
  {
    what: "a ContentSize that is neither meaning",
    sizes: "total",
    prefix: false,
    packets: (wire) => {
      const p = plan(wire, "total", 64);
      return { ...p, sizes: p.sizes.map((s) => s + 32) };
    },
  },
  {
    what: "a total size that says prefix with none sent",
    sizes: "total",
    prefix: false,
    packets: (wire) => {
      const p = plan(wire, "total", 64);
      return { ...p, sizes: p.sizes.map((s) => s + 16) };
    },
  },
  {
    what: "one block more than the size says (per packet, no prefix)",
    sizes: "per-packet",
    prefix: false,
    packets: (wire) => plan(concat(wire, randomBytes(16)), "per-packet", 64),
  },
];

Deno.test("near misses of the upload dialects get one 1607 each and the session goes on", async () => {
  const server = await startServer();
  try {
    const s = await speaker(server, "near-misses", "162-junk");
    try {
      for (const miss of NEAR_MISSES) {
        const data = randomBytes(150);
        const answer = await send(s, {
          name: "miss.bin",
          origFileSize: data.length,
          plan: miss.packets(wireOf(s, data, miss.prefix)),
        });
        assert.equal(answer?.code, ResponseCode.SERVER_ERROR, miss.what);
        await uploadAndVerify(server, s, {
          file: "after.bin",
          data: randomBytes(100),
          dialect: { key: "162-junk", prefix: miss.prefix, sizes: miss.sizes },
          packetSize: 64,
        });
      }
    } finally {
      s.raw.close();
    }
  } finally {
    await server.stop();
  }
});

Deno.test("key fields that fit no form get 1607 and the session can still send a good one", async () => {
  const server = await startServer();
  try {
    const raw = await RawClient.connect(server.port);
    try {
      const registered = await raw.request({
        code: RequestCode.REGISTER,
        clientId: new Uint8Array(16),
        name: "bad-keys",
      });
      if (registered?.code !== ResponseCode.REGISTER_OK) {
        throw new Error(`Cannot register: ${registered?.code}`);
      }
      const id = registered.clientId;
      const e17 = keyOf("162-junk").field;
      const misdeclared = e17.slice();
      misdeclared[2] = 0x9f; // DER says 162 bytes; the key is 160 + junk.
      const bad: [string, Uint8Array][] = [
        ["a 160-byte key + junk whose DER declares 162", misdeclared],
        ["garbage in a 162-byte field", randomBytes(162)],
        ["garbage in a 160-byte field", randomBytes(160)],
        ["a 161-byte key (e = 257) + 1 byte", keyOf("160", 257).field],
        [
          "a 162-byte key in a 160-byte field",
          keyOf("162").field.slice(0, 160),
        ],
      ];
      for (const [what, field] of bad) {
        const sized = field.length === 161
          ? concat(field, randomBytes(1))
          : field;
        await raw.write(keyFrame(id, "bad-keys", sized));
        assert.equal((await raw.read())?.code, ResponseCode.SERVER_ERROR, what);
      }
      const good = keyOf("162");
      await raw.write(keyFrame(id, "bad-keys", good.field));
      const keyed = await raw.read();
      assert.equal(keyed?.code, ResponseCode.AES_KEY);
    } finally {
      raw.close();
    }
  } finally {
    await server.stop();
  }
});
