import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  createSha256,
  type Sha256Backend,
} from "../../server/crypto/sha256.ts";

const MiB = 1 << 20;

function bytes(n: number): Uint8Array {
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 31 + (i >> 11)) & 0xff;
  return data;
}

for (const backend of ["libcrypto", "node"] as Sha256Backend[]) {
  Deno.test(`createSha256("${backend}") matches node:crypto over chunks that straddle its staging buffers`, async () => {
    const data = bytes(3 * MiB + 12345);
    for (const chunk of [1, 4096, 65536 + 7, MiB - 1, MiB, 2 * MiB + 3]) {
      // One byte at a time is slow: only over the first 100 KiB.
      const input = chunk === 1 ? data.subarray(0, 100_000) : data;
      const sha = createSha256(backend);
      const scratch = new Uint8Array(chunk);
      for (let at = 0; at < input.length; at += chunk) {
        const part = input.subarray(at, at + chunk);
        // The caller reuses its buffer once update() is done with it.
        scratch.set(part);
        await sha.update(scratch.subarray(0, part.length));
        scratch.fill(0xee);
      }
      assert.equal(
        await sha.digest(),
        createHash("sha256").update(input).digest("hex"),
        `chunks of ${chunk}`,
      );
    }
  });
}

Deno.test("the SHA-256 of nothing is the well-known one, and close() twice is safe", async () => {
  const sha = createSha256();
  assert.equal(
    await sha.digest(),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  const dropped = createSha256();
  await dropped.update(bytes(2 * MiB));
  dropped.close();
  dropped.close();
});
