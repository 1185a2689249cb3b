import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { join } from "node:path";
import { formatJsonLine, getJsonLinesFileSink } from "../server/log_file.ts";

function record(
  level: LogRecord["level"],
  message: unknown[],
  properties: Record<string, unknown> = {},
): LogRecord {
  return {
    category: ["cyberbackup", "portal"],
    level,
    message,
    rawMessage: "",
    timestamp: Date.parse("2026-01-02T03:04:05.006Z"),
    properties,
  };
}

Deno.test("formatJsonLine() keeps every property and interpolates values bare", () => {
  const line = formatJsonLine(
    record("info", ["CyberBackup ", "0.1.0", " started"], {
      user: "admin",
      address: "10.0.0.9",
      file: "a.txt",
      key: new Uint8Array(32),
      error: new TypeError("bad"),
    }),
  );
  assert.ok(line.endsWith("}\n"));
  assert.deepEqual(JSON.parse(line), {
    time: "2026-01-02T03:04:05.006Z",
    level: "info",
    category: "cyberbackup.portal",
    message: "CyberBackup 0.1.0 started",
    properties: {
      user: "admin",
      address: "10.0.0.9",
      file: "a.txt",
      key: "<32 bytes>",
      error: "TypeError: bad",
    },
  });
});

Deno.test("the JSON lines sink writes warnings at once, info within its timer, and rotates by size", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cb-log-" });
  const path = join(dir, "cyberbackup.log");
  const sink = getJsonLinesFileSink(path, {
    maxSize: 600,
    maxFiles: 2,
    flushMs: 50,
  });
  const lines = () =>
    Deno.readTextFileSync(path).split("\n").filter(Boolean).map((l) =>
      JSON.parse(l).message
    );
  try {
    sink(record("info", ["quiet"]));
    assert.deepEqual(lines(), []);
    sink(record("warning", ["Sign-in failed"]));
    assert.deepEqual(lines(), ["quiet", "Sign-in failed"]);
    sink(record("info", ["later"]));
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(lines(), ["quiet", "Sign-in failed", "later"]);
    for (let i = 0; i < 6; i++) sink(record("error", [`e${i}`]));
    assert.ok(Deno.statSync(`${path}.1`).size > 0);
    assert.ok(Deno.statSync(path).size <= 600);
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
  } finally {
    sink[Symbol.dispose]();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a rotation that fails keeps the sink writing to its file, and disposing it still works", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cb-log-" });
  const path = join(dir, "cyberbackup.log");
  // A non-empty folder where the rotated file should go: the rename fails.
  await Deno.mkdir(join(`${path}.1`, "in-the-way"), { recursive: true });
  const sink = getJsonLinesFileSink(path, {
    maxSize: 300,
    maxFiles: 1,
    flushMs: 50,
  });
  try {
    for (let i = 0; i < 8; i++) sink(record("error", [`e${i}`]));
    const messages = Deno.readTextFileSync(path).split("\n").filter(Boolean)
      .map((line) => JSON.parse(line).message);
    assert.equal(messages.at(-1), "e7", messages.join());
  } finally {
    sink[Symbol.dispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
