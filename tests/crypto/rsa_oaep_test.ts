import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import {
  decryptKey,
  encryptKey,
  generateKeyPair,
  type OaepHash,
  parsePublicKey,
  publicKeyOf,
} from "../../server/crypto/rsa_oaep.ts";

const AES_KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const HASHES: OaepHash[] = ["sha1", "sha256"];
const pair = generateKeyPair();

function spkiOf(
  type: "rsa" | "ec",
  options: Record<string, unknown>,
): Uint8Array<ArrayBuffer> {
  // deno-lint-ignore no-explicit-any
  const { publicKey } = generateKeyPairSync(type as any, {
    ...options,
    publicKeyEncoding: { type: "spki", format: "der" },
  });
  return new Uint8Array(publicKey as unknown as Uint8Array<ArrayBuffer>);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("generateKeyPair() makes a 1024-bit exponent-17 key with a 160-byte SPKI", () => {
  assert.equal(pair.publicKey.length, 160);
  const key = parsePublicKey(pair.publicKey);
  assert.equal(key.asymmetricKeyDetails?.modulusLength, 1024);
  assert.equal(key.asymmetricKeyDetails?.publicExponent, 17n);
  assert.notDeepEqual(generateKeyPair().publicKey, pair.publicKey);
});

Deno.test("publicKeyOf() rebuilds the SPKI from the PKCS#8 private key", () => {
  assert.deepEqual(publicKeyOf(pair.privateKey), pair.publicKey);
});

for (const hash of HASHES) {
  Deno.test(`encryptKey() and decryptKey() round-trip with ${hash}`, () => {
    const encrypted = encryptKey(pair.publicKey, AES_KEY, { hash });
    assert.equal(encrypted.length, 128);
    assert.deepEqual(decryptKey(pair.privateKey, encrypted, { hash }), AES_KEY);
    // OAEP is randomized: the same key never encrypts the same way twice.
    assert.notDeepEqual(
      encryptKey(pair.publicKey, AES_KEY, { hash }),
      encrypted,
    );
  });
}

Deno.test("encryptKey() defaults to sha1, and the other hash cannot decrypt", () => {
  const encrypted = encryptKey(pair.publicKey, AES_KEY);
  assert.deepEqual(
    decryptKey(pair.privateKey, encrypted, { hash: "sha1" }),
    AES_KEY,
  );
  assert.throws(
    () => decryptKey(pair.privateKey, encrypted, { hash: "sha256" }),
    /Cannot decrypt AES key/,
  );
});

Deno.test("decryptKey() rejects a corrupted ciphertext and an unreadable key", () => {
  const encrypted = encryptKey(pair.publicKey, AES_KEY);
  encrypted[50] ^= 1;
  assert.throws(
    () => decryptKey(pair.privateKey, encrypted),
    /Cannot decrypt AES key/,
  );
  assert.throws(() => decryptKey(new Uint8Array(10), encrypted), TypeError);
});

Deno.test("parsePublicKey() accepts a 1024-bit key with exponent 65537", () => {
  const spki = spkiOf("rsa", { modulusLength: 1024 });
  assert.equal(spki.length, 162);
  assert.equal(parsePublicKey(spki).asymmetricKeyDetails?.modulusLength, 1024);
});

Deno.test("parsePublicKey() rejects 2048-bit RSA, EC keys and garbage with a TypeError", () => {
  const rejected: [string, Uint8Array][] = [
    [
      "2048-bit RSA",
      spkiOf("rsa", { modulusLength: 2048, publicExponent: 17 }),
    ],
    ["EC P-256", spkiOf("ec", { namedCurve: "P-256" })],
    ["160 zero bytes", new Uint8Array(160)],
    ["empty", new Uint8Array()],
    ["cut short", pair.publicKey.subarray(0, 159)],
    ["trailing byte", Uint8Array.of(...pair.publicKey, 0)],
    ["private key", pair.privateKey],
  ];
  for (const [label, spki] of rejected) {
    assert.throws(() => parsePublicKey(spki), TypeError, label);
    assert.throws(() => encryptKey(spki, AES_KEY), TypeError, label);
  }
});

Deno.test("decryptKey() reads what Web Crypto RSA-OAEP encrypts to a 160-byte key", async () => {
  for (
    const [hash, name] of [["sha1", "SHA-1"], ["sha256", "SHA-256"]] as const
  ) {
    const key = await crypto.subtle.importKey(
      "spki",
      new Uint8Array(pair.publicKey),
      { name: "RSA-OAEP", hash: name },
      false,
      ["encrypt"],
    );
    const encrypted = new Uint8Array(
      await crypto.subtle.encrypt({ name: "RSA-OAEP" }, key, AES_KEY),
    );
    assert.equal(encrypted.length, 128);
    assert.deepEqual(decryptKey(pair.privateKey, encrypted, { hash }), AES_KEY);
  }
});

/** PyPI names the package Crypto; Debian's python3-pycryptodome, Cryptodome. */
const PYTHON_IMPORTS = `
try:
    from Crypto.Cipher import PKCS1_OAEP
    from Crypto.Hash import SHA1, SHA256
    from Crypto.PublicKey import RSA
except ImportError:
    from Cryptodome.Cipher import PKCS1_OAEP
    from Cryptodome.Hash import SHA1, SHA256
    from Cryptodome.PublicKey import RSA
`;

const PYTHON_OAEP = `${PYTHON_IMPORTS}
import sys
mode, key_hex, data_hex, hash_name = sys.argv[1:]
key = RSA.import_key(bytes.fromhex(key_hex))
cipher = PKCS1_OAEP.new(key, hashAlgo=SHA1 if hash_name == "sha1" else SHA256)
run = cipher.decrypt if mode == "decrypt" else cipher.encrypt
print(run(bytes.fromhex(data_hex)).hex())
`;

/** A python3 that has PyCryptodome, or why there is none. */
async function findPyCryptodome(): Promise<
  { python?: string; reason: string }
> {
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const { code } = await new Deno.Command(python, {
        args: ["-c", PYTHON_IMPORTS],
        stdout: "null",
        stderr: "null",
      }).output();
      if (code === 0) return { python, reason: "" };
    } catch {
      // Not installed under this name; try the next.
    }
  }
  return {
    reason:
      "no python3 with PyCryptodome (apt-get install python3-pycryptodome)",
  };
}

const pycryptodome = await findPyCryptodome();
if (!pycryptodome.python) {
  // deno-lint-ignore no-console
  console.warn(`Skipping PyCryptodome interop tests: ${pycryptodome.reason}`);
}

async function python(args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(
    pycryptodome.python!,
    {
      args: ["-c", PYTHON_OAEP, ...args],
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout).trim();
}

for (const hash of HASHES) {
  Deno.test({
    name:
      `PyCryptodome PKCS1_OAEP decrypts what encryptKey() made with ${hash}`,
    ignore: !pycryptodome.python,
    async fn() {
      const encrypted = encryptKey(pair.publicKey, AES_KEY, { hash });
      const decrypted = await python([
        "decrypt",
        hex(pair.privateKey),
        hex(encrypted),
        hash,
      ]);
      assert.equal(decrypted, hex(AES_KEY));
    },
  });

  Deno.test({
    name:
      `decryptKey() reads what PyCryptodome PKCS1_OAEP encrypted with ${hash}`,
    ignore: !pycryptodome.python,
    async fn() {
      const encrypted = await python([
        "encrypt",
        hex(pair.publicKey),
        hex(AES_KEY),
        hash,
      ]);
      const bytes = Uint8Array.from(
        encrypted.match(/../g)!,
        (h) => parseInt(h, 16),
      );
      assert.deepEqual(decryptKey(pair.privateKey, bytes, { hash }), AES_KEY);
    },
  });
}
