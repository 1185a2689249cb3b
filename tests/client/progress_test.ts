import assert from "node:assert/strict";
import {
  createOutput,
  describeProgress,
  formatBytes,
  formatDuration,
} from "../../client/progress.ts";

function sink() {
  const decoder = new TextDecoder();
  const sink = {
    text: "",
    writeSync(bytes: Uint8Array) {
      sink.text += decoder.decode(bytes);
      return bytes.length;
    },
  };
  return sink;
}

const MB = 1_000_000;

Deno.test("formatBytes() and formatDuration() read naturally", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.50 KiB");
  assert.equal(formatBytes(5 * 1024 * 1024), "5.00 MiB");
  assert.equal(formatBytes(300 * 1024 ** 3), "300 GiB");
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(75.4), "1:15");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(Number.NaN), "--:--");
});

Deno.test("describeProgress() gives percent, bytes, MiB/s and ETA in one unit family", () => {
  const { percent, text } = describeProgress(
    { fileName: "f", sent: 50 * MB, total: 100 * MB, attempt: 1 },
    2000,
  );
  assert.equal(percent, 50);
  assert.equal(text, "50%  47.7 MiB / 95.4 MiB  23.8 MiB/s  ETA 0:02");
  assert.match(
    describeProgress({ fileName: "f", sent: 0, total: 10, attempt: 2 }, 0).text,
    /^0% .* 0 B\/s {2}ETA --:-- \(attempt 2\)$/,
  );
});

Deno.test("createOutput() prints a line per tenth of the file when not on a terminal", () => {
  const stdout = sink();
  let t = 0;
  const out = createOutput({
    stdout,
    stderr: sink(),
    terminal: false,
    now: () => t,
  });
  for (let sent = 0; sent <= 100; sent += 5) {
    t += 100;
    out.progress({
      fileName: "report.pdf",
      sent: sent * MB,
      total: 100 * MB,
      attempt: 1,
    });
  }
  const lines = stdout.text.trimEnd().split("\n");
  assert.equal(lines.length, 11);
  assert.match(lines[0], /^upload report\.pdf: 0% /);
  assert.match(
    lines[5],
    /^upload report\.pdf: 50% {2}47\.7 MiB \/ 95\.4 MiB {2}\d+\.\d MiB\/s {2}ETA 0:0\d$/,
  );
  assert.match(lines[10], /^upload report\.pdf: 100% .* ETA 0:00$/);
  assert.ok(!stdout.text.includes("\r"));
});

Deno.test("createOutput() redraws a terminal bar at most every 100 ms and always at the end", () => {
  const stdout = sink();
  let t = 0;
  const out = createOutput({
    stdout,
    stderr: sink(),
    terminal: true,
    now: () => t,
    barWidth: 10,
  });
  for (let sent = 0; sent <= 100; sent++) {
    t += 20; // Five reports per 100 ms.
    out.progress({ fileName: "a", sent, total: 100, attempt: 1 });
  }
  const draws = stdout.text.split("\r\x1b[K").filter(Boolean);
  assert.ok(draws.length >= 20 && draws.length <= 22, `${draws.length} draws`);
  assert.match(draws.at(-1)!, /^a \[##########\] 100% .*\n$/);
  assert.match(draws[0], /^a \[----------\] 0% /);
});

Deno.test("createOutput() clears the bar before a message and sends errors to stderr", () => {
  const stdout = sink();
  const stderr = sink();
  const out = createOutput({ stdout, stderr, terminal: true, now: () => 0 });
  out.progress({ fileName: "a", sent: 1, total: 2, attempt: 1 });
  out.warn("retrying");
  out.error("Backup failed: x");
  out.info("done");
  const clear = "\r\x1b[K";
  assert.ok(stdout.text.startsWith(`${clear}a [`), JSON.stringify(stdout.text));
  assert.ok(
    stdout.text.endsWith(`${clear}done\n`),
    JSON.stringify(stdout.text),
  );
  assert.match(stdout.text, /\] 50% /);
  assert.equal(stderr.text, "warning: retrying\nBackup failed: x\n");
});
