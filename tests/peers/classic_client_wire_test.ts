/**
 * What the C++ classic client peer puts on the wire, checked byte by byte
 * against a scripted recorder (not the server under test): the dialect it
 * claims to speak, so the e2e tests that use it prove what they say.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { pattern } from "../client/helpers.ts";
import {
  buildClassicClient,
  type PeerDialect,
  type PeerRun,
  peerToolchainMissing,
  runPeer,
} from "./classic_client.ts";
import {
  filePacket,
  NEW_ID,
  type RecordedRequest,
  spkiOf,
  startRecorder,
} from "./wire_recorder.ts";
import { parsePublicKey, publicKeyOf } from "../../server/crypto/rsa_oaep.ts";
import { RequestCode, Size } from "../../server/protocol/constants.ts";

const MiB = 1024 * 1024;
const missing = peerToolchainMissing();
if (missing) {
  // deno-lint-ignore no-console
  console.log(`Skipping the classic C++ client wire tests: ${missing}.`);
}
let built: ReturnType<typeof buildClassicClient> | undefined;

/** One run of the peer against a recorder, in `dir` (a new folder by default). */
async function session(
  file: { name: string; data: Uint8Array },
  options: {
    dialect?: PeerDialect;
    wrongChecksums?: number;
    refusedUploads?: number;
    dir?: string;
  } = {},
): Promise<{ run: PeerRun; requests: RecordedRequest[]; dir: string }> {
  built ??= buildClassicClient();
  const dir = options.dir ??
    await Deno.makeTempDir({ prefix: "cb-peer-wire-" });
  const recorder = startRecorder({
    prefix: options.dialect?.ivPrefix === false ? 0 : 16,
    wrongChecksums: options.wrongChecksums,
    refusedUploads: options.refusedUploads,
  });
  try {
    await Deno.writeFile(join(dir, file.name), file.data);
    await Deno.writeTextFile(
      join(dir, "transfer.info"),
      `127.0.0.1:${recorder.port}\nwire\n${file.name}\n`,
    );
    const run = await runPeer((await built).path, dir, options.dialect);
    const failure = await recorder.done;
    if (failure) throw new Error(`Recorder failed: ${failure}\n${said(run)}`);
    return { run, requests: recorder.requests, dir };
  } finally {
    recorder.close();
  }
}

function codes(requests: RecordedRequest[]): number[] {
  return requests.map((r) => r.code);
}

function said(run: PeerRun): string {
  return `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

/** The 1028 requests, parsed. */
function packets(requests: RecordedRequest[]) {
  return requests.filter((r) => r.code === RequestCode.SEND_FILE).map((r) =>
    filePacket(r.payload)
  );
}

function nameField(name: string): Uint8Array {
  const field = new Uint8Array(Size.NAME);
  field.set(new TextEncoder().encode(name));
  return field;
}

Deno.test({
  name:
    "The peer's default dialect is the classic client's: 162-byte key field with junk, zero-IV prefix, 1 MiB packets with per-packet ContentSize",
  ignore: !!missing,
  async fn() {
    const data = pattern(2 * MiB + 5, 21);
    const { run, requests, dir } = await session({ name: "f.bin", data });
    try {
      assert.equal(run.code, 0, said(run));
      const SEND = RequestCode.SEND_FILE;
      assert.deepEqual(codes(requests), [1025, 1026, SEND, SEND, SEND, 1029]);
      const [register, sendKey] = requests;
      assert.deepEqual(register.clientId, new Uint8Array(16));
      assert.deepEqual(register.payload, nameField("wire"));
      assert.deepEqual(sendKey.clientId, NEW_ID);
      assert.equal(sendKey.payload.length, 417);
      const keyField = sendKey.payload.subarray(Size.NAME);
      assert.deepEqual([...keyField.subarray(0, 3)], [0x30, 0x81, 0x9d]);
      const spki = spkiOf(keyField);
      assert.equal(spki.length, 160);
      const key = parsePublicKey(spki).asymmetricKeyDetails;
      assert.equal(key?.modulusLength, 1024);
      assert.equal(key?.publicExponent, 17n);
      assert.ok(keyField[160] !== 0 && keyField[161] !== 0, "junk is nonzero");

      // 16 zero bytes + (2 MiB + 16) of ciphertext: two full packets and 32.
      const sent = packets(requests);
      assert.deepEqual(sent.map((p) => p.content.length), [MiB, MiB, 32]);
      assert.deepEqual(sent.map((p) => p.contentSize), [MiB, MiB, 32]);
      assert.deepEqual(sent.map((p) => p.packetNumber), [1, 2, 3]);
      assert.ok(sent.every((p) => p.totalPackets === 3));
      assert.ok(sent.every((p) => p.origFileSize === data.length));
      assert.deepEqual(sent[0].content.subarray(0, 16), new Uint8Array(16));

      const [name, id, base64] = (await Deno.readTextFile(join(dir, "me.info")))
        .split("\n");
      assert.equal(name, "wire");
      assert.deepEqual(new Uint8Array(Buffer.from(id, "hex")), NEW_ID);
      assert.deepEqual(publicKeyOf(Buffer.from(base64, "base64")), spki);

      const printed = /cksum (\d+)\)/.exec(run.stdout)?.[1];
      const coreutils = await new Deno.Command("cksum", {
        args: [join(dir, "f.bin")],
        stdout: "piped",
      }).output();
      assert.equal(
        printed,
        new TextDecoder().decode(coreutils.stdout).split(" ")[0],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

for (
  const [keyField, size, head, exponent] of [
    ["160", 415, 0x9d, 17n],
    ["162e65537", 417, 0x9f, 65537n],
  ] as const
) {
  Deno.test({
    name:
      `--key-field ${keyField} sends a ${size}-byte 1026 holding only an exponent-${exponent} SPKI`,
    ignore: !!missing,
    async fn() {
      const { run, requests, dir } = await session(
        { name: "one.bin", data: pattern(1, 22) },
        { dialect: { keyField } },
      );
      try {
        assert.equal(run.code, 0, said(run));
        const payload = requests[1].payload;
        assert.equal(payload.length, size);
        const spki = payload.subarray(Size.NAME);
        assert.equal(spki[2], head);
        assert.equal(spkiOf(spki).length, spki.length);
        const key = parsePublicKey(spki).asymmetricKeyDetails;
        assert.equal(key?.publicExponent, exponent);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name:
    "--iv-prefix no --size total sends the bare ciphertext with the whole upload's size in every packet",
  ignore: !!missing,
  async fn() {
    const data = pattern(100_000, 23);
    const { run, requests, dir } = await session({ name: "t.bin", data }, {
      dialect: { ivPrefix: false, size: "total", packetBytes: 64 * 1024 },
    });
    try {
      assert.equal(run.code, 0, said(run));
      const sent = packets(requests);
      assert.deepEqual(sent.map((p) => p.content.length), [65_536, 34_480]);
      assert.ok(sent.every((p) => p.contentSize === 100_016));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "On a wrong checksum the peer sends 1030 and the file again without waiting, and 1031 after the third",
  ignore: !!missing,
  async fn() {
    const file = { name: "c.bin", data: pattern(40, 24) };
    const S = RequestCode.SEND_FILE;
    const once = await session(file, { wrongChecksums: 1 });
    const thrice = await session(file, { wrongChecksums: 3 });
    try {
      assert.equal(once.run.code, 0, said(once.run));
      assert.deepEqual(codes(once.requests), [1025, 1026, S, 1030, S, 1029]);
      assert.equal(thrice.run.code, 1, said(thrice.run));
      assert.deepEqual(
        codes(thrice.requests),
        [1025, 1026, S, 1030, S, 1030, S, 1031],
      );
      assert.deepEqual(thrice.requests.at(-1)!.payload, nameField("c.bin"));
    } finally {
      await Deno.remove(once.dir, { recursive: true });
      await Deno.remove(thrice.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "On 1607 after an upload the peer sends it again on the same connection, three times at most",
  ignore: !!missing,
  async fn() {
    const file = { name: "e.bin", data: pattern(MiB, 26) };
    const S = RequestCode.SEND_FILE;
    const thrice = await session(file, { refusedUploads: 3 });
    const always = await session(file, { refusedUploads: 4 });
    try {
      assert.equal(thrice.run.code, 0, said(thrice.run));
      assert.deepEqual(
        codes(thrice.requests),
        [1025, 1026, ...Array(8).fill(S), 1029],
      );
      assert.equal(always.run.code, 1, said(always.run));
      assert.deepEqual(codes(always.requests), [
        1025,
        1026,
        ...Array(8).fill(S),
      ]);
      assert.match(always.run.stderr, /refused \(1607\) 4 times/);
    } finally {
      await Deno.remove(thrice.dir, { recursive: true });
      await Deno.remove(always.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "A returning peer answered 1606 registers again with its old id in the header",
  ignore: !!missing,
  async fn() {
    const file = { name: "r.bin", data: pattern(7, 25) };
    const first = await session(file);
    try {
      assert.equal(first.run.code, 0, said(first.run));
      const again = await session(file, { dir: first.dir });
      assert.equal(again.run.code, 0, said(again.run));
      const S = RequestCode.SEND_FILE;
      assert.deepEqual(codes(again.requests), [1027, 1025, 1026, S, 1029]);
      assert.deepEqual(again.requests[0].clientId, NEW_ID);
      assert.deepEqual(again.requests[1].clientId, NEW_ID);
    } finally {
      await Deno.remove(first.dir, { recursive: true });
    }
  },
});
