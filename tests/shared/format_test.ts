import assert from "node:assert/strict";
import {
  formatBytes,
  formatDuration,
  formatMinute,
  formatPercent,
  formatRate,
  formatTime,
  recentRate,
} from "../../shared/format.ts";

Deno.test("formatBytes() uses powers of 1024 with IEC names, as the CLI does", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.50 KiB");
  assert.equal(formatBytes(1024 * 1024 + 5), "1.00 MiB");
  assert.equal(formatBytes(50 * 1024 * 1024), "50.0 MiB");
  assert.equal(formatBytes(4 * 1024 ** 3), "4.00 GiB");
  assert.equal(formatBytes(300 * 1024 ** 3), "300 GiB");
  assert.equal(formatBytes(undefined), "–");
  assert.equal(formatBytes(Number.NaN), "–");
  assert.equal(formatRate(2 * 1024 * 1024), "2.00 MiB/s");
});

Deno.test("formatDuration(), formatPercent() and formatTime() read naturally", () => {
  assert.equal(formatDuration(42_000), "42s");
  assert.equal(formatDuration(93_784_000), "1d 2h 3m");
  assert.equal(formatPercent(0.256), "26%");
  assert.equal(formatPercent(1.5), "100%");
  assert.equal(
    formatTime("2024-05-01T13:45:10.123Z"),
    "2024-05-01 13:45:10 UTC",
  );
  assert.equal(formatTime(null), "–");
  assert.equal(
    formatMinute("2024-05-01T13:45:10.123Z"),
    "2024-05-01 13:45 UTC",
  );
  assert.equal(formatMinute(null), "–");
  assert.equal(formatMinute("soon"), "soon");
});

Deno.test("recentRate() averages complete seconds and ignores the one in progress", () => {
  assert.equal(recentRate([10, 20, 30, 999], 3), 20);
  assert.equal(recentRate([5]), 0);
});
