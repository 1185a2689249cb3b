import assert from "node:assert/strict";
import { join } from "node:path";
import {
  FileError,
  fileFrames,
  FramePool,
  frameSize,
  type FrameSpec,
} from "../../client/packet_frames.ts";
import { planPackets } from "../../server/protocol/packet_plan.ts";
import {
  openPacketSource,
  type PacketSource,
  WORKER_THRESHOLD_BYTES,
} from "../../client/packet_source.ts";
import { decrypt } from "../../server/crypto/aes_cbc.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import {
  decodeFilePacketHeader,
  decodeRequestHeader,
} from "../../server/protocol/codec.ts";
import { RequestCode, Size } from "../../server/protocol/constants.ts";
import { pattern } from "./helpers.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

const MiB = 1024 * 1024;
const KEY = crypto.getRandomValues(new Uint8Array(32));
const CLIENT_ID = crypto.getRandomValues(new Uint8Array(16));

async function withFile(
  data: Uint8Array,
  action: (spec: FrameSpec) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "packet_source_test_" });
  try {
    const path = join(dir, "data.bin");
    await Deno.writeFile(path, data);
    await action({
      path,
      aesKey: KEY,
      clientId: CLIENT_ID,
      fileName: "data.bin",
      plan: planPackets(data.length),
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every frame of a source (copied, then released) and its digest. */
async function drain(source: PacketSource) {
  const frames: Uint8Array[] = [];
  try {
    for (;;) {
      const next = await source.next();
      if (next.done) return { frames, digest: next.value };
      frames.push(next.value.slice());
      source.release(next.value);
    }
  } finally {
    await source.close();
  }
}

/** Checks the frames decode as the spec's packets and carry `data`. */
function checkFrames(frames: Uint8Array[], spec: FrameSpec, data: Uint8Array) {
  const { plan } = spec;
  assert.equal(frames.length, plan.totalPackets);
  const content: Uint8Array[] = [];
  frames.forEach((frame, i) => {
    const header = decodeRequestHeader(frame.subarray(0, Size.REQUEST_HEADER));
    assert.equal(header.code, RequestCode.SEND_FILE);
    assert.deepEqual(header.clientId, CLIENT_ID);
    assert.equal(header.payloadSize, frame.length - Size.REQUEST_HEADER);
    const fixedEnd = Size.REQUEST_HEADER + Size.FILE_PACKET_FIXED;
    const fixed = decodeFilePacketHeader(
      frame.subarray(Size.REQUEST_HEADER, fixedEnd),
    );
    assert.deepEqual(fixed, {
      contentSize: plan.contentSize,
      origFileSize: data.length,
      packetNumber: i + 1,
      totalPackets: plan.totalPackets,
      fileName: "data.bin",
    });
    content.push(frame.subarray(fixedEnd));
  });
  const cipher = new Uint8Array(plan.contentSize);
  let at = 0;
  for (const part of content) {
    cipher.set(part, at);
    at += part.length;
  }
  assert.equal(at, plan.contentSize);
  assertBytesEqual(decrypt(KEY, cipher), data);
}

for (
  const [label, size] of [
    ["empty", 0],
    ["one packet", 1000],
    ["a packet boundary", 2 * MiB - 16],
    ["several packets", 3 * MiB + 5],
  ] as const
) {
  Deno.test(`fileFrames() frames a file (${label}) as packets that decrypt to it`, async () => {
    const data = pattern(size, size + 1);
    await withFile(data, async (spec) => {
      const { frames, digest } = await drain(openPacketSource(spec));
      checkFrames(frames, spec, data);
      assert.deepEqual(digest, { checksum: cksum(data), size });
    });
  });
}

Deno.test("a large file is framed in a worker, byte for byte as in this thread", async () => {
  const data = pattern(WORKER_THRESHOLD_BYTES + 2 * MiB + 7, 3);
  await withFile(data, async (spec) => {
    const inWorker = await drain(openPacketSource(spec));
    checkFrames(inWorker.frames, spec, data);
    assert.deepEqual(inWorker.digest, {
      checksum: cksum(data),
      size: data.length,
    });
    const pool = new FramePool(2, frameSize(spec.plan));
    const here = fileFrames(spec, pool);
    for (const expected of inWorker.frames) {
      const next = await here.next();
      assert.ok(!next.done);
      assert.deepEqual(next.value, expected);
      pool.release(next.value);
    }
    assert.deepEqual(await here.next(), { done: true, value: inWorker.digest });
  });
});

for (const size of [1000, WORKER_THRESHOLD_BYTES]) {
  const where = size < WORKER_THRESHOLD_BYTES ? "here" : "in a worker";
  for (
    const [what, path] of [
      ["a missing file", "/nonexistent/cyberbackup.bin"],
      ["a file that cannot be read (a directory)", "/tmp"],
    ] as const
  ) {
    Deno.test(`${what} fails ${where} with a FileError naming it`, async () => {
      const source = openPacketSource({
        path,
        aesKey: KEY,
        clientId: CLIENT_ID,
        fileName: "cyberbackup.bin",
        plan: planPackets(size),
      });
      try {
        await assert.rejects(source.next(), (error: Error) => {
          assert.ok(error instanceof FileError, String(error));
          assert.ok(error.message.includes(path), error.message);
          return true;
        });
      } finally {
        await source.close();
      }
    });
  }

  Deno.test(`a file that grew after planning fails ${where} with a FileError`, async () => {
    const data = pattern(size + 100);
    await withFile(data, async (spec) => {
      const source = openPacketSource({ ...spec, plan: planPackets(size) });
      await assert.rejects(drain(source), (error: Error) => {
        assert.ok(error instanceof FileError, String(error));
        assert.match(error.message, /changed size while being read/);
        return true;
      });
    });
  });
}

for (const size of [4 * MiB, WORKER_THRESHOLD_BYTES + 4 * MiB]) {
  const where = size < WORKER_THRESHOLD_BYTES ? "here" : "in a worker";
  Deno.test(`close() stops a source waiting for a frame ${where} and closes the file`, async () => {
    await withFile(pattern(size), async (spec) => {
      const source = openPacketSource(spec);
      const held = [
        await source.next(),
        await source.next(),
        await source.next(),
      ];
      assert.ok(held.every((next) => !next.done));
      // All frames are out: the producer now waits for one to come back.
      const waiting = source.next();
      await source.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([
        waiting,
        new Promise<"pending">((resolve) => {
          timer = setTimeout(() => resolve("pending"), 1000);
        }),
      ]);
      clearTimeout(timer);
      assert.deepEqual(ended, { done: true, value: undefined });
      // The test's resource sanitizer fails it if the file stayed open.
    });
  });
}
