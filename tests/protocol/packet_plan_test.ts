import assert from "node:assert/strict";
import {
  encryptedSize,
  MIN_PACKET_CONTENT,
  packetSize,
  planPackets,
} from "../../server/protocol/packet_plan.ts";

const MiB = 1024 * 1024;
const SIZES = [0, 1, 15, 16, 17, 31, 32, 33, 1000, MiB + 5];

Deno.test("encryptedSize() pads to the next block, a full block when aligned", () => {
  const expected = [16, 16, 16, 32, 32, 32, 48, 48, 1008, MiB + 16];
  assert.deepEqual(SIZES.map(encryptedSize), expected);
  assert.equal(encryptedSize(2 ** 32 - 1), 2 ** 32);
  for (const bad of [-1, 1.5, NaN, Infinity]) {
    assert.throws(() => encryptedSize(bad), RangeError);
  }
});

Deno.test("planPackets() sends an empty file as one 16-byte packet", () => {
  assert.deepEqual(planPackets(0), {
    origFileSize: 0,
    contentSize: 16,
    packetSize: MIN_PACKET_CONTENT,
    totalPackets: 1,
  });
});

Deno.test("planPackets() sends 1 byte as one 16-byte packet", () => {
  const plan = planPackets(1);
  assert.equal(plan.contentSize, 16);
  assert.equal(plan.totalPackets, 1);
});

Deno.test("planPackets() pads exactly 1 MiB with a whole block, so it needs 2 packets", () => {
  const plan = planPackets(MiB);
  assert.equal(plan.contentSize, MiB + 16);
  assert.equal(plan.packetSize, MiB);
  assert.equal(plan.totalPackets, 2);
});

Deno.test("planPackets() keeps 1 MiB - 1 bytes in one packet", () => {
  const plan = planPackets(MiB - 1);
  assert.equal(plan.contentSize, MiB);
  assert.equal(plan.totalPackets, 1);
});

Deno.test("planPackets() fits the largest uploadable file in 65,535 packets", () => {
  const largest = 0xffff_ffef; // encrypted: 0xffff_fff0, the largest u32 multiple of 16
  const plan = planPackets(largest);
  assert.equal(plan.contentSize, 0xffff_fff0);
  assert.equal(plan.packetSize % 16, 0);
  assert.ok(plan.totalPackets <= 0xffff);
  assert.ok(plan.packetSize * plan.totalPackets >= plan.contentSize);
  assert.ok(plan.packetSize * (plan.totalPackets - 1) < plan.contentSize);
  assert.equal(plan.totalPackets, 4096);
});

Deno.test("planPackets() refuses 4 GiB - 1 bytes, whose encrypted size exceeds u32", () => {
  assert.throws(
    () => planPackets(0xffff_ffff),
    (error: Error) =>
      error instanceof RangeError &&
      /encrypted size 4294967296/.test(error.message),
  );
  assert.throws(() => planPackets(0xffff_fff0), RangeError);
});

Deno.test("planPackets() refuses files past 4 GiB and bad sizes", () => {
  assert.throws(
    () => planPackets(2 ** 32),
    /protocol allows at most 4294967295/,
  );
  assert.throws(() => planPackets(-1), RangeError);
  assert.throws(() => planPackets(1.5), RangeError);
});

Deno.test("packetSize() keeps whole blocks, the wanted size when it fits, and at most 65,535 packets", () => {
  assert.equal(packetSize(100, { wanted: 1000 }), 992);
  assert.equal(packetSize(100, { wanted: 0 }), 16);
  assert.equal(packetSize(0xffff * 64 + 1, { wanted: 16 }), 80);
  assert.equal(packetSize(100, { wanted: 1000, most: 100 }), 96);
  assert.throws(
    () => packetSize(0xffff * 64 + 1, { wanted: 16, most: 64 }),
    RangeError,
  );
});
