import assert from "node:assert/strict";
import {
  describePolicy,
  parseBytes,
  parseDuration,
  parsePolicyOptions,
} from "../../server/history/policy_text.ts";
import { NO_POLICY } from "../../server/storage/sqlite/policies.ts";

Deno.test("parseDuration reads units and sums of them", () => {
  assert.equal(parseDuration("30d"), 30 * 86400);
  assert.equal(parseDuration("1d12h"), 36 * 3600);
  assert.equal(parseDuration("1y2w"), 365 * 86400 + 14 * 86400);
  assert.equal(parseDuration("90s"), 90);
  for (const bad of ["", "30", "d", "30x", "1d 2h", "-1d", "0d"]) {
    assert.throws(() => parseDuration(bad), RangeError, bad);
  }
});

Deno.test("parseBytes reads powers of 1024", () => {
  assert.equal(parseBytes("10G"), 10 * 1024 ** 3);
  assert.equal(parseBytes("1.5M"), 1.5 * 1024 ** 2);
  assert.equal(parseBytes("512"), 512);
  assert.equal(parseBytes("2GiB"), 2 * 1024 ** 3);
  for (const bad of ["", "G", "10Q", "-1G", "0"]) {
    assert.throws(() => parseBytes(bad), RangeError, bad);
  }
});

Deno.test("parsePolicyOptions takes the given options only and leaves the rest", () => {
  const { changes, rest } = parsePolicyOptions([
    "--client",
    "ab",
    "--keep-last",
    "3",
    "--keep-within",
    "30d",
    "--quota-bytes",
    "10G",
    "--keep-daily",
    "inherit",
  ]);
  assert.deepEqual(changes, {
    keepLast: 3,
    keepWithinSeconds: 30 * 86400,
    quotaBytes: 10 * 1024 ** 3,
    keepDaily: null,
  });
  assert.deepEqual(rest, ["--client", "ab"]);
  assert.throws(() => parsePolicyOptions(["--keep-last"]), RangeError);
  assert.throws(() => parsePolicyOptions(["--keep-last", "x"]), RangeError);
});

Deno.test("describePolicy lists the set fields in option form", () => {
  assert.equal(describePolicy(NO_POLICY), "none");
  assert.equal(
    describePolicy({ ...NO_POLICY, keepLast: 3, keepWithinSeconds: 2592000 }),
    "keep-last 3, keep-within 30d",
  );
});
