import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type AesBackend,
  aesBackend,
  type CbcStream,
  createCipher,
  createDecipher,
  decrypt,
  encrypt,
} from "../../server/crypto/aes_cbc.ts";
import { encryptedSize } from "../../server/protocol/packet_plan.ts";
import { toHex } from "../../shared/encoding.ts";
import { assertBytesEqual } from "../bytes_assert.ts";
import { concat } from "../soak/fuzz_frames.ts";

const MiB = 1024 * 1024;
const BACKENDS: AesBackend[] = ["libcrypto", "node"];
const SIZES = [0, 1, 15, 16, 17, 31, 32, 33, 1000, MiB + 5];
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 3 + 1);
const HEX_KEY = toHex(KEY);

function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, at + 65536));
  }
  return bytes;
}

/** Streams `input` in random-sized pieces, copying each (views are reused). */
function runChunked(stream: CbcStream, input: Uint8Array, limit: number) {
  const parts: Uint8Array[] = [];
  try {
    let at = 0;
    while (at < input.length) {
      const size = Math.floor(Math.random() * limit);
      parts.push(stream.update(input.subarray(at, at + size)).slice());
      at += size;
    }
    parts.push(stream.final().slice());
  } finally {
    stream.close();
  }
  return concat(...parts);
}

function encryptWith(backend: AesBackend, plain: Uint8Array): Uint8Array {
  return runChunked(createCipher(KEY, { backend }), plain, Infinity);
}

function decryptWith(backend: AesBackend, cipher: Uint8Array): Uint8Array {
  return runChunked(createDecipher(KEY, { backend }), cipher, Infinity);
}

async function openssl(args: string[], input: Uint8Array): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "aes_cbc_test_" });
  try {
    const path = join(dir, "in.bin");
    await Deno.writeFile(path, input);
    const { code, stdout, stderr } = await new Deno.Command("openssl", {
      args: [...args, "-K", HEX_KEY, "-iv", "0".repeat(32), "-in", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    return stdout;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("aesBackend() picks libcrypto when FFI is granted", () => {
  assert.equal(aesBackend(), "libcrypto");
});

Deno.test("both backends encrypt every size alike and decrypt it back", () => {
  for (const size of SIZES) {
    const plain = randomBytes(size);
    const native = encryptWith("libcrypto", plain);
    assert.equal(native.length, encryptedSize(size), `size ${size}`);
    assertBytesEqual(encryptWith("node", plain), native, `size ${size}`);
    assertBytesEqual(encrypt(KEY, plain), native, `size ${size}`);
    for (const backend of BACKENDS) {
      assertBytesEqual(
        decryptWith(backend, native),
        plain,
        `${backend} ${size}`,
      );
    }
    assertBytesEqual(decrypt(KEY, native), plain, `size ${size}`);
  }
});

Deno.test("both backends give the one-shot result for random chunkings", () => {
  const plain = randomBytes(MiB + 5);
  const cipher = encrypt(KEY, plain);
  for (const backend of BACKENDS) {
    for (const limit of [40, 5000, 300_000]) {
      const label = `${backend}, chunks < ${limit}`;
      const encrypted = runChunked(
        createCipher(KEY, { backend }),
        plain,
        limit,
      );
      assertBytesEqual(encrypted, cipher, label);
      const decrypted = runChunked(
        createDecipher(KEY, { backend }),
        cipher,
        limit,
      );
      assertBytesEqual(decrypted, plain, label);
    }
  }
});

Deno.test("decrypt() reads input from a view at any byte offset", () => {
  const plain = randomBytes(100);
  const cipher = encrypt(KEY, plain);
  const shifted = new Uint8Array(cipher.length + 3);
  shifted.set(cipher, 3);
  assertBytesEqual(decrypt(KEY, shifted.subarray(3)), plain);
  assertBytesEqual(
    encrypt(KEY, shifted.subarray(3, 103)),
    encrypt(KEY, shifted.slice(3, 103)),
  );
});

Deno.test("encrypt() matches openssl enc and decrypt() reads its output", async () => {
  for (const size of [0, 17, MiB + 5]) {
    const plain = randomBytes(size);
    const expected = await openssl(["enc", "-aes-256-cbc"], plain);
    for (const backend of BACKENDS) {
      assertBytesEqual(
        encryptWith(backend, plain),
        expected,
        `${backend} ${size}`,
      );
      assertBytesEqual(
        decryptWith(backend, expected),
        plain,
        `${backend} ${size}`,
      );
    }
    assertBytesEqual(
      await openssl(["enc", "-d", "-aes-256-cbc"], expected),
      plain,
    );
  }
});

Deno.test("encrypt() matches Web Crypto AES-CBC with a zero IV", async () => {
  const plain = randomBytes(1234);
  const key = await crypto.subtle.importKey("raw", KEY, "AES-CBC", false, [
    "encrypt",
  ]);
  const expected = await crypto.subtle.encrypt(
    { name: "AES-CBC", iv: new Uint8Array(16) },
    key,
    plain,
  );
  assertBytesEqual(encrypt(KEY, plain), new Uint8Array(expected));
});

Deno.test("decrypt rejects bad padding with a RangeError on both backends", () => {
  // Without its padding block, the last block decrypts to data ending in 0x00.
  const plain = randomBytes(32);
  plain[31] = 0;
  const unpadded = encrypt(KEY, plain).subarray(0, 32);
  for (const backend of BACKENDS) {
    assert.throws(() => decryptWith(backend, unpadded), {
      name: "RangeError",
      message: "Cannot decrypt: bad padding",
    });
  }
});

Deno.test("decrypt rejects truncated and empty ciphertext with a RangeError", () => {
  const cipher = encrypt(KEY, randomBytes(40));
  for (const backend of BACKENDS) {
    for (const size of [0, 1, 15, 47]) {
      assert.throws(() => decryptWith(backend, cipher.subarray(0, size)), {
        name: "RangeError",
        message:
          `Cannot decrypt: ciphertext length ${size} is not a positive multiple of 16`,
      });
    }
  }
});

Deno.test("a wrong key fails decryption or yields other bytes, never the plaintext", () => {
  const plain = randomBytes(64);
  const cipher = encrypt(KEY, plain);
  const other = KEY.slice();
  other[0] ^= 1;
  try {
    assert.notDeepEqual(decrypt(other, cipher), plain);
  } catch (error) {
    assert.ok(error instanceof RangeError);
  }
});

Deno.test("keys that are not 32 bytes are rejected with a RangeError", () => {
  for (const backend of BACKENDS) {
    for (const size of [0, 16, 24, 31, 33]) {
      const key = new Uint8Array(size);
      assert.throws(() => createCipher(key, { backend }), RangeError);
      assert.throws(() => createDecipher(key, { backend }), RangeError);
    }
  }
  assert.throws(
    () => encrypt(new Uint8Array(16), new Uint8Array(1)),
    RangeError,
  );
});

Deno.test("a stream refuses use after final() or close(), and close() is idempotent", () => {
  for (const backend of BACKENDS) {
    for (const create of [createCipher, createDecipher]) {
      const finished = create(KEY, { backend });
      if (create === createDecipher) {
        finished.update(encrypt(KEY, new Uint8Array(3)));
      }
      finished.final();
      assert.throws(() => finished.update(new Uint8Array(16)), TypeError);
      assert.throws(() => finished.final(), TypeError);
      finished.close();
      finished.close();

      const closed = create(KEY, { backend });
      closed.close();
      assert.throws(() => closed.update(new Uint8Array(16)), TypeError);
      assert.throws(() => closed.final(), TypeError);
      closed.close();
    }
  }
});

Deno.test("a decipher holds back the last block until final()", () => {
  const cipher = encrypt(KEY, randomBytes(32));
  for (const backend of BACKENDS) {
    const stream = createDecipher(KEY, { backend });
    try {
      assert.equal(stream.update(cipher.subarray(0, 16)).length, 0);
      assert.equal(stream.update(cipher.subarray(16)).length, 16 * 2);
      assert.equal(stream.final().length, 0);
    } finally {
      stream.close();
    }
  }
});

Deno.test("without FFI permission the node backend is used and works", async () => {
  const module = new URL("../../server/crypto/aes_cbc.ts", import.meta.url);
  const config = new URL("../../deno.json", import.meta.url);
  const script = `
    import { aesBackend, decrypt, encrypt } from ${JSON.stringify(module.href)};
    const key = new Uint8Array(32).fill(9);
    const plain = new Uint8Array(100).fill(5);
    const ok = decrypt(key, encrypt(key, plain)).every((b) => b === 5);
    console.log(aesBackend(), ok);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-env",
      "--config",
      config.pathname,
      "-",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(new TextDecoder().decode(stdout).trim(), "node true");
});
