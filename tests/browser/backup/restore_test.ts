import assert from "node:assert/strict";
import { cksum } from "../../../server/crypto/cksum.ts";
import { keyProofTag } from "../../../server/crypto/restore_keys.ts";
import { StreamSealer } from "../../../server/crypto/sealed_stream.ts";
import {
  RestoreRequestCode,
  RestoreResponseCode,
} from "../../../server/protocol/constants.ts";
import {
  encodeFetchMeta,
  encodeRestoreResponse,
  encodeVersionRecord,
  type RestoreRequest,
} from "../../../server/protocol/restore_codec.ts";
import { fromHex, toBase64Url, toHex } from "../../../shared/encoding.ts";
import {
  fetchVersion,
  listVersions,
  restoreProof,
  type RestoreSink,
  type RestoreTransport,
} from "../../../browser/backup/restore.ts";

const CLIENT = "a1".repeat(16);
const KEY = new Uint8Array(32).fill(9);
const SESSION = { token: "t", rawKey: KEY };
const SHA = "ab".repeat(32);
const TIME = "2026-11-30T21:15:47.123Z";

/** The body the server sends for `request`: 2101, then `plains` sealed. */
function body(
  request: RestoreRequest,
  plains: Uint8Array[],
  options: { key?: Uint8Array; split?: number } = {},
): ReadableStream<Uint8Array> {
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const sealer = new StreamSealer({
    aesKey: options.key ?? KEY,
    salt,
    request,
  });
  const parts = [
    encodeRestoreResponse({
      code: RestoreResponseCode.STREAM_BEGIN,
      clientId: fromHex(CLIENT),
      salt,
    }),
    ...plains.map((p, i) => sealer.frame(p, i === plains.length - 1)),
  ];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  // Chunked oddly, as a network delivers it.
  const split = options.split ?? 13;
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < all.length; i += split) {
        controller.enqueue(all.slice(i, i + split));
      }
      controller.close();
    },
  });
}

function transport(stream: ReadableStream<Uint8Array>): RestoreTransport {
  return {
    proof: () => Promise.resolve(),
    stream: () => Promise.resolve(stream),
  };
}

function sink() {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  const state = { closed: false, aborted: undefined as string | undefined };
  const target: RestoreSink = {
    write: (chunk) => (chunks.push(chunk), Promise.resolve()),
    close: () => (state.closed = true, Promise.resolve()),
    abort: (reason) => (state.aborted = reason, Promise.resolve()),
  };
  return { target, chunks, state };
}

function fetchRequest(number: number): RestoreRequest {
  return {
    code: RestoreRequestCode.FETCH,
    clientId: fromHex(CLIENT),
    fileName: "doc.bin",
    version: number,
    offset: 0,
  };
}

function meta(content: Uint8Array, checksum = cksum(content)) {
  return encodeFetchMeta({
    number: 2,
    size: content.length,
    offset: 0,
    checksum,
    blake3: SHA,
    storedAt: TIME,
  });
}

Deno.test("the browser's proof is the server's HMAC of the session key", async () => {
  assert.equal(
    await restoreProof(KEY, CLIENT),
    toBase64Url(keyProofTag(KEY, fromHex(CLIENT))),
  );
});

Deno.test("listVersions() opens the list frames with Web Crypto", async () => {
  const records = ["a.txt", "b.txt"].map((fileName, i) => ({
    fileName,
    number: i + 1,
    size: 10 * i,
    checksum: 7,
    blake3: SHA,
    storedAt: TIME,
    pinned: i === 1,
  }));
  const request: RestoreRequest = {
    code: RestoreRequestCode.LIST,
    clientId: fromHex(CLIENT),
  };
  const stream = body(request, records.map(encodeVersionRecord));
  assert.deepEqual(
    await listVersions(transport(stream), SESSION, CLIENT),
    records,
  );
});

Deno.test("fetchVersion() writes the content and closes the sink only after its cksum matches", async () => {
  const content = Uint8Array.from(
    { length: 70_000 },
    (_, i) => (i * 131) & 0xff,
  );
  const parts = [content.subarray(0, 65_536), content.subarray(65_536)];
  const s = sink();
  const got = await fetchVersion(
    transport(
      body(fetchRequest(2), [meta(content), ...parts], { split: 4096 }),
    ),
    SESSION,
    { clientIdHex: CLIENT, fileName: "doc.bin", number: 2 },
    s.target,
  );
  assert.equal(got.number, 2);
  assert.equal(
    toHex(new Uint8Array(await new Blob(s.chunks).arrayBuffer())),
    toHex(content),
  );
  assert.deepEqual(s.state, { closed: true, aborted: undefined });
});

Deno.test("fetchVersion() aborts the sink on a wrong cksum, an altered frame, a wrong key and a cut stream", async () => {
  const content = new TextEncoder().encode("the content");
  const target = { clientIdHex: CLIENT, fileName: "doc.bin", number: 2 };
  const cases: [string, ReadableStream<Uint8Array>, RegExp][] = [
    [
      "wrong cksum",
      body(fetchRequest(2), [meta(content, 1), content]),
      /cksum .*Nothing was kept/,
    ],
    [
      "wrong key",
      body(fetchRequest(2), [meta(content), content], {
        key: new Uint8Array(32).fill(1),
      }),
      /does not decrypt/,
    ],
    [
      "a stream for another request",
      body(fetchRequest(1), [meta(content), content]),
      /does not decrypt/,
    ],
  ];
  // A byte of the last frame flipped; and the stream cut before it.
  const whole = new Uint8Array(
    await new Response(body(fetchRequest(2), [meta(content), content]))
      .arrayBuffer(),
  );
  const flipped = whole.slice();
  flipped[flipped.length - 20] ^= 1;
  cases.push(
    ["altered", new Response(flipped).body!, /Frame 1 does not decrypt/],
    ["cut", new Response(whole.slice(0, -5)).body!, /ended early/],
  );
  for (const [what, stream, message] of cases) {
    const s = sink();
    await assert.rejects(
      fetchVersion(transport(stream), SESSION, target, s.target),
      message,
      what,
    );
    assert.equal(s.state.closed, false, what);
    assert.ok(s.state.aborted, what);
  }
});
