import assert from "node:assert/strict";
import { join } from "node:path";
import {
  startChecksum,
  WORKER_THRESHOLD_BYTES,
} from "../../client/file_checksum.ts";
import { coreutilsCksum } from "../crypto/coreutils.ts";
import { pattern } from "./helpers.ts";

async function withFile(
  size: number,
  action: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "file_checksum_test_" });
  try {
    const path = join(dir, "data.bin");
    await Deno.writeFile(path, pattern(size, size));
    await action(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const [label, size] of [
    ["in this thread", 3 * 1024 * 1024 + 5],
    ["in a worker", WORKER_THRESHOLD_BYTES + 1024 * 1024 + 3],
  ] as const
) {
  Deno.test(`startChecksum() ${label} agrees with /usr/bin/cksum and counts the bytes`, async () => {
    await withFile(size, async (path) => {
      const [expected, length] = await coreutilsCksum(path);
      const job = startChecksum(path, size);
      assert.deepEqual(await job.result, { checksum: expected, size: length });
      assert.equal(length, size);
    });
  });

  Deno.test(`startChecksum() ${label} rejects naming a file it cannot read`, async () => {
    const job = startChecksum("/nonexistent/cyberbackup.bin", size);
    await assert.rejects(job.result, /nonexistent\/cyberbackup\.bin/);
  });
}

Deno.test("startChecksum() reports the size it read, so a file that grew shows", async () => {
  await withFile(WORKER_THRESHOLD_BYTES + 10, async (path) => {
    const job = startChecksum(path, WORKER_THRESHOLD_BYTES);
    assert.equal((await job.result).size, WORKER_THRESHOLD_BYTES + 10);
  });
});

Deno.test("a cancelled worker checksum stops without an unhandled rejection", async () => {
  await withFile(WORKER_THRESHOLD_BYTES * 4, async (path) => {
    const job = startChecksum(path, WORKER_THRESHOLD_BYTES * 4);
    job.cancel();
    // The test sanitizers fail this test if the worker or a promise leaks.
    await new Promise((r) => setTimeout(r, 50));
  });
});
