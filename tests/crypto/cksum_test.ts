import assert from "node:assert/strict";
import { join } from "node:path";
import { Cksum, cksum } from "../../server/crypto/cksum.ts";

const MiB = 1024 * 1024;

function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, at + 65536));
  }
  return bytes;
}

/** Bit-at-a-time POSIX cksum, straight from the definition. */
function referenceCksum(bytes: Uint8Array): number {
  let crc = 0;
  const step = (byte: number) => {
    crc ^= byte << 24;
    for (let k = 0; k < 8; k++) {
      crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    }
  };
  bytes.forEach(step);
  for (let n = bytes.length; n > 0; n = Math.floor(n / 256)) step(n % 256);
  return ~crc >>> 0;
}

/** What `/usr/bin/cksum FILE` prints: checksum and size. */
async function coreutilsCksum(path: string): Promise<[number, number]> {
  const { code, stdout } = await new Deno.Command("/usr/bin/cksum", {
    args: [path],
    stdout: "piped",
  }).output();
  assert.equal(code, 0);
  const [sum, size] = new TextDecoder().decode(stdout).split(" ");
  return [Number(sum), Number(size)];
}

async function withTempFile<T>(
  bytes: Uint8Array,
  action: (path: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "cksum_test_" });
  try {
    const path = join(dir, "data.bin");
    await Deno.writeFile(path, bytes);
    return await action(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const size of [0, 1, 15, 16, 17, MiB + 3]) {
  Deno.test(`cksum() matches coreutils for ${size} bytes`, async () => {
    const bytes = randomBytes(size);
    const [expected, length] = await withTempFile(bytes, coreutilsCksum);
    assert.equal(length, size);
    assert.equal(cksum(bytes), expected);
    assert.equal(new Cksum().update(bytes).digest(), expected);
  });
}

Deno.test("cksum() matches coreutils for a random 20 MiB file", async () => {
  const bytes = randomBytes(20 * MiB + 11);
  await withTempFile(bytes, async (path) => {
    const [expected] = await coreutilsCksum(path);
    assert.equal(cksum(await Deno.readFile(path)), expected);
  });
});

Deno.test("cksum() matches the known value for 'abc\\n' and for no bytes", () => {
  assert.equal(cksum(new TextEncoder().encode("abc\n")), 1112837078);
  assert.equal(cksum(new Uint8Array()), 4294967295);
});

Deno.test("cksum() matches the bitwise definition at every size and alignment up to 200 bytes", () => {
  const buffer = randomBytes(256);
  for (let offset = 0; offset < 4; offset++) {
    for (let size = 0; size <= 200; size++) {
      const bytes = buffer.subarray(offset, offset + size);
      assert.equal(cksum(bytes), referenceCksum(bytes), `${offset}+${size}`);
    }
  }
});

Deno.test("cksum() encodes lengths of several bytes like the definition", () => {
  // 65536 and 16 MiB + 1 need three and four length bytes.
  for (const size of [255, 256, 65535, 65536, 16 * MiB + 1]) {
    const bytes = randomBytes(size);
    assert.equal(cksum(bytes), referenceCksum(bytes), `${size}`);
  }
});

Deno.test("Cksum gives the one-shot value when fed in random pieces", () => {
  const bytes = randomBytes(3 * MiB + 7);
  const expected = cksum(bytes);
  for (let round = 0; round < 20; round++) {
    const sum = new Cksum();
    let at = 0;
    while (at < bytes.length) {
      // Mostly small and odd-sized pieces, sometimes large ones.
      const limit = round % 2 ? 100 : MiB;
      const size = Math.floor(Math.random() * limit);
      sum.update(bytes.subarray(at, at + size));
      at += size;
    }
    assert.equal(sum.length, bytes.length);
    assert.equal(sum.digest(), expected);
  }
});

Deno.test("Cksum gives the one-shot value when split at every boundary of 100 bytes", () => {
  const bytes = randomBytes(100);
  const expected = cksum(bytes);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const sum = new Cksum()
      .update(bytes.subarray(0, cut))
      .update(bytes.subarray(cut));
    assert.equal(sum.digest(), expected, `cut at ${cut}`);
  }
});

Deno.test("Cksum.digest() can be read mid-stream and the stream continued", () => {
  const bytes = randomBytes(1000);
  const sum = new Cksum().update(bytes.subarray(0, 400));
  assert.equal(sum.digest(), cksum(bytes.subarray(0, 400)));
  assert.equal(sum.digest(), cksum(bytes.subarray(0, 400)));
  sum.update(bytes.subarray(400));
  assert.equal(sum.length, 1000);
  assert.equal(sum.digest(), cksum(bytes));
});

Deno.test("Cksum starts empty", () => {
  const sum = new Cksum();
  assert.equal(sum.length, 0);
  assert.equal(sum.digest(), cksum(new Uint8Array()));
});
