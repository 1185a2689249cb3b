/** Which version a restore picks: newest, a number, or the newest at or before a time. */
import assert from "node:assert/strict";
import { parseAt, selectVersions } from "../../client/restore_select.ts";
import type { VersionRecord } from "../../server/protocol/restore_codec.ts";

function version(
  fileName: string,
  number: number,
  storedAt: string,
): VersionRecord {
  return {
    fileName,
    number,
    size: number,
    checksum: number,
    blake3: "00".repeat(32),
    storedAt,
    pinned: false,
  };
}

// Version 2 was pruned: numbers keep their gaps.
const RECORDS = [
  version("a.txt", 3, "2026-03-01T00:00:00.000Z"),
  version("a.txt", 1, "2026-01-01T00:00:00.000Z"),
  version("b.txt", 1, "2026-02-01T00:00:00.000Z"),
];

function picked(selection: ReturnType<typeof selectVersions>) {
  return selection.map((s) =>
    "problem" in s ? s.problem : `${s.fileName}#${s.version.number}`
  );
}

Deno.test("selectVersions() picks the newest of every name by default", () => {
  assert.deepEqual(
    picked(selectVersions(RECORDS, { files: [], choice: { kind: "newest" } })),
    ["a.txt#3", "b.txt#1"],
  );
});

Deno.test("selectVersions() picks a number, and names the kept ones when it is gone", () => {
  const choice = { kind: "number", number: 2 } as const;
  assert.deepEqual(
    picked(selectVersions(RECORDS, { files: ["a.txt"], choice })),
    [
      '"a.txt" has no version 2 (kept: 1, 3)',
    ],
  );
  assert.deepEqual(
    picked(selectVersions(RECORDS, {
      files: ["a.txt"],
      choice: { kind: "number", number: 1 },
    })),
    ["a.txt#1"],
  );
});

Deno.test("selectVersions() with --at takes the newest at or before the time, per file", () => {
  const at = (text: string) =>
    ({ kind: "at", at: Date.parse(text), text }) as const;
  assert.deepEqual(
    picked(
      selectVersions(RECORDS, {
        files: [],
        choice: at("2026-02-15T00:00:00Z"),
      }),
    ),
    ["a.txt#1", "b.txt#1"],
  );
  assert.deepEqual(
    picked(
      selectVersions(RECORDS, {
        files: ["a.txt"],
        choice: at("2026-03-01T00:00:00Z"),
      }),
    ),
    ["a.txt#3"],
  );
  assert.match(
    picked(
      selectVersions(RECORDS, {
        files: ["b.txt"],
        choice: at("2026-01-15T00:00:00Z"),
      }),
    )[0],
    /no version stored at or before/,
  );
});

Deno.test("selectVersions() reports a name the server does not hold", () => {
  assert.deepEqual(
    picked(
      selectVersions(RECORDS, { files: ["c.txt"], choice: { kind: "newest" } }),
    ),
    ['no backup of "c.txt" on the server'],
  );
});

Deno.test("parseAt() reads ISO 8601 dates and times; a bare date means its last millisecond", () => {
  assert.equal(
    parseAt("2026-11-30T21:00:00Z"),
    Date.parse("2026-11-30T21:00:00Z"),
  );
  assert.equal(
    parseAt("2026-11-30T21:00:00+01:00"),
    Date.parse("2026-11-30T20:00:00Z"),
  );
  assert.equal(parseAt("2026-11-30"), Date.parse("2026-11-30T23:59:59.999"));
  for (const bad of ["yesterday", "2026-13-01T00:00", "30/11/2026", ""]) {
    assert.equal(parseAt(bad), undefined, bad);
  }
});
