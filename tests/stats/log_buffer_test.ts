import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { LogBuffer } from "../../server/stats/log_buffer.ts";
import { atLeast, parseLevel } from "../../shared/log_levels.ts";

function record(
  level: LogRecord["level"],
  message: unknown[],
  properties: Record<string, unknown> = {},
): LogRecord {
  return {
    category: ["cyberbackup", "tcp"],
    level,
    message,
    rawMessage: "",
    timestamp: 1000,
    properties,
  };
}

Deno.test("LogBuffer flattens records into text with interpolated values and properties", () => {
  const logs = new LogBuffer();
  logs.sink(
    record("info", ["Client ", "alice", " uploaded ", 42, " bytes"], {
      id: new Uint8Array([1, 255]),
      ok: true,
    }),
  );
  const [entry] = logs.entries();
  assert.equal(entry.message, "Client alice uploaded 42 bytes");
  assert.equal(entry.properties, "id=01ff ok=true");
  assert.equal(entry.category, "cyberbackup.tcp");
  assert.equal(entry.level, "info");
});

Deno.test("LogBuffer keeps only the newest records up to its capacity", () => {
  const logs = new LogBuffer({ capacity: 3 });
  for (let i = 0; i < 5; i++) logs.push(record("info", [`m${i}`]));
  assert.deepEqual(logs.entries().map((e) => e.message), ["m2", "m3", "m4"]);
});

Deno.test("LogBuffer keeps security events after a flood of connection noise", () => {
  const logs = new LogBuffer({ capacity: 10 });
  logs.push(record("warning", ["Sign-in failed"], { address: "10.0.0.9" }));
  logs.push({
    ...record("info", ["File deleted"]),
    category: ["cyberbackup", "portal"],
  });
  for (let i = 0; i < 300; i++) logs.push(record("info", [`Connection ${i}`]));
  assert.deepEqual(logs.entries("warning").map((e) => e.message), [
    "Sign-in failed",
  ]);
  const all = logs.entries().map((e) => e.message);
  assert.deepEqual(all.slice(0, 2), ["Sign-in failed", "File deleted"]);
  assert.equal(all.length, 12);
  assert.equal(all.at(-1), "Connection 299");
});

Deno.test("LogBuffer filters by minimum level", () => {
  const logs = new LogBuffer();
  for (const level of ["debug", "info", "warning", "error"] as const) {
    logs.push(record(level, [level]));
  }
  assert.deepEqual(logs.entries("warning").map((e) => e.level), [
    "warning",
    "error",
  ]);
  assert.ok(atLeast("fatal", "error"));
  assert.ok(!atLeast("debug", "info"));
});

Deno.test("LogBuffer tells subscribers about new records until they unsubscribe", () => {
  const logs = new LogBuffer();
  const seen: string[] = [];
  const stop = logs.subscribe((e) => seen.push(e.message));
  logs.push(record("info", ["one"]));
  stop();
  logs.push(record("info", ["two"]));
  assert.deepEqual(seen, ["one"]);
});

Deno.test("parseLevel accepts level names only", () => {
  assert.equal(parseLevel("warning"), "warning");
  assert.equal(parseLevel("WARNING"), undefined);
  assert.equal(parseLevel(null), undefined);
});
