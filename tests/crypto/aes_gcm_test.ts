/**
 * AES-256-GCM frames: both backends agree, an altered frame fails, and Web
 * Crypto (what the browser uses) opens what the server seals, with the
 * same HKDF stream key and HMAC proof.
 */
import assert from "node:assert/strict";
import { open, seal, TagMismatchError } from "../../server/crypto/aes_gcm.ts";
import { keyProofTag, streamKey } from "../../server/crypto/restore_keys.ts";
import {
  StreamOpener,
  StreamSealer,
} from "../../server/crypto/sealed_stream.ts";
import { RestoreRequestCode, Size } from "../../server/protocol/constants.ts";
import {
  proofMessage,
  type RestoreRequest,
  sealedAad,
  sealedNonce,
  streamKeyInfo,
} from "../../server/protocol/restore_codec.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

const KEY = crypto.getRandomValues(new Uint8Array(32));
const PARAMS = {
  key: KEY,
  nonce: sealedNonce(3),
  aad: sealedAad({ seq: 3, final: true }),
};
const REQUEST: RestoreRequest = {
  code: RestoreRequestCode.FETCH,
  clientId: new Uint8Array(16).fill(7),
  fileName: "a.txt",
  version: 2,
  offset: 10,
};

Deno.test("seal() gives the same bytes through libcrypto and node:crypto, and either opens the other's", () => {
  for (const size of [0, 1, 15, 16, 17, 65_536]) {
    const plain = crypto.getRandomValues(new Uint8Array(size));
    const native = seal(PARAMS, plain, { backend: "libcrypto" });
    const node = seal(PARAMS, plain, { backend: "node" });
    assertBytesEqual(native, node);
    assertBytesEqual(open(PARAMS, native, { backend: "node" }), plain);
    assertBytesEqual(open(PARAMS, node, { backend: "libcrypto" }), plain);
  }
});

Deno.test("open() throws TagMismatchError for a flipped bit, another nonce or other associated data", () => {
  const sealed = seal(PARAMS, new TextEncoder().encode("hello, restore"));
  for (const backend of ["libcrypto", "node"] as const) {
    const flipped = sealed.slice();
    flipped[2] ^= 0x80;
    assert.throws(() => open(PARAMS, flipped, { backend }), TagMismatchError);
    assert.throws(
      () => open({ ...PARAMS, nonce: sealedNonce(4) }, sealed, { backend }),
      TagMismatchError,
    );
    assert.throws(
      () =>
        open({ ...PARAMS, aad: sealedAad({ seq: 3, final: false }) }, sealed, {
          backend,
        }),
      TagMismatchError,
    );
  }
});

Deno.test("Web Crypto derives the same stream key and opens a sealed frame as the browser will", async () => {
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const ikm = await crypto.subtle.importKey("raw", KEY, "HKDF", false, [
    "deriveBits",
  ]);
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt, info: streamKeyInfo(REQUEST) },
      ikm,
      256,
    ),
  );
  assertBytesEqual(bits, streamKey(KEY, salt, REQUEST));
  const sealer = new StreamSealer({ aesKey: KEY, salt, request: REQUEST });
  const plain = new TextEncoder().encode("frame zero");
  const frame = sealer.frame(plain, true);
  const aesKey = await crypto.subtle.importKey("raw", bits, "AES-GCM", false, [
    "decrypt",
  ]);
  const opened = await crypto.subtle.decrypt(
    {
      name: "AES-GCM",
      iv: sealedNonce(0),
      additionalData: sealedAad({ seq: 0, final: true }),
    },
    aesKey,
    frame.slice(Size.RESPONSE_HEADER + 5),
  );
  assertBytesEqual(new Uint8Array(opened), plain);
  const hmac = await crypto.subtle.importKey(
    "raw",
    KEY,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  assertBytesEqual(
    new Uint8Array(
      await crypto.subtle.sign("HMAC", hmac, proofMessage(REQUEST.clientId)),
    ),
    keyProofTag(KEY, REQUEST.clientId),
  );
});

Deno.test("StreamOpener refuses frames out of order, after the final one, or of another request", () => {
  const salt = new Uint8Array(32);
  const sealer = new StreamSealer({ aesKey: KEY, salt, request: REQUEST });
  const frames = [0, 1, 2].map((i) =>
    sealer.frame(new Uint8Array([i]), i === 2).subarray(Size.RESPONSE_HEADER)
  );
  const opener = new StreamOpener({ aesKey: KEY, salt, request: REQUEST });
  assert.throws(() => opener.open(frames[1]), /expected frame 0, got 1/);
  opener.open(frames[0]);
  opener.open(frames[1]);
  opener.open(frames[2]);
  assert.throws(() => opener.open(frames[2]), /already ended/);
  const other = new StreamOpener({
    aesKey: KEY,
    salt,
    request: { ...REQUEST, version: 3 },
  });
  assert.throws(() => other.open(frames[0]), TagMismatchError);
});
