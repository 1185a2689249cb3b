import assert from "node:assert/strict";
import {
  checkFileName,
  MAX_FILE_NAME_LENGTH,
} from "../../server/storage/file_name.ts";

function assertRefused(names: string[], reason: RegExp): void {
  for (const name of names) {
    const result = checkFileName(name);
    assert.ok(result !== undefined, `${JSON.stringify(name)} was accepted`);
    assert.match(result, reason, JSON.stringify(name));
  }
}

Deno.test("checkFileName() accepts ordinary names", () => {
  for (
    const name of [
      "report.pdf",
      "a",
      ".hidden",
      "..a",
      "archive.tar.gz",
      "with space.txt",
      "x.part",
      "~backup",
      "console.log",
      "CONFIG",
      "COM10",
      "lpt",
      "nul_device.txt",
      "a".repeat(MAX_FILE_NAME_LENGTH),
      "!#$%&'()+,;=@[]^_`{}~-",
    ]
  ) {
    assert.equal(checkFileName(name), undefined, name);
  }
});

Deno.test("checkFileName() refuses empty names and relative components", () => {
  assertRefused([""], /empty/);
  assertRefused([".", ".."], /relative path component/);
});

Deno.test("checkFileName() refuses path separators of every platform", () => {
  assertRefused(
    ["a/b", "/etc/passwd", "../x", "a\\b", "..\\..\\boot.ini", "C:\\x"],
    /path separator|characters/,
  );
  assert.match(checkFileName("../x")!, /path separator/);
});

Deno.test("checkFileName() refuses NUL and control characters", () => {
  assertRefused(
    ["a\0b", "\0", "line\nbreak", "tab\t", "\x1b[31m", "\x1f", "del\x7f"],
    /control character/,
  );
});

Deno.test("checkFileName() accepts Unicode names that fit the field in UTF-8", () => {
  for (
    const name of [
      "r\u00e9sum\u00e9.txt",
      "caf\u0065\u0301", // NFD, as macOS writes it
      "日本.txt",
      "emoji\u{1F600}",
      "\u00a0x",
      "\u00e9".repeat(127), // 254 bytes
    ]
  ) {
    assert.equal(checkFileName(name), undefined, JSON.stringify(name));
  }
});

Deno.test("checkFileName() refuses C1 controls, invisible formatting and lone surrogates", () => {
  assertRefused(["\x80", "a\u009bb", "a\u2028b"], /control character/);
  assertRefused(
    ["a\u202eexe.txt", "zero\u200bwidth", "\ufeffbom"],
    /invisible formatting/,
  );
  assertRefused(["a\ud800b", "\udc00"], /not valid Unicode/);
});

Deno.test("checkFileName() refuses names longer than 254 bytes in UTF-8", () => {
  assertRefused(["a".repeat(MAX_FILE_NAME_LENGTH + 1)], /longer than 254/);
  assertRefused(["a".repeat(10_000)], /longer than 254/);
  assertRefused(
    ["\u00e9".repeat(127) + "x", "日".repeat(85)],
    /longer than 254 bytes in UTF-8/,
  );
});

Deno.test("checkFileName() refuses leading or trailing spaces and trailing dots", () => {
  assertRefused([" a", " "], /starts with a space/);
  assertRefused(["a ", "a.txt "], /ends with a space/);
  assertRefused(["a.", "a...", "..."], /ends with a dot/);
});

Deno.test("checkFileName() refuses Windows device names in any case and with any extension", () => {
  const devices = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];
  for (let i = 0; i <= 9; i++) devices.push(`COM${i}`, `LPT${i}`);
  const names = devices.flatMap((d) => [
    d,
    d.toLowerCase(),
    d[0] + d.slice(1).toLowerCase(),
    `${d}.txt`,
    `${d.toLowerCase()}.tar.gz`,
    `${d} .txt`,
  ]);
  assertRefused(names, /reserved device name/);
});

Deno.test("checkFileName() refuses characters Windows forbids", () => {
  assertRefused(
    ["a:b", "file.txt:stream", "a*b", "a?b", "a|b", 'a"b', "a<b", "a>b"],
    /characters/,
  );
});
