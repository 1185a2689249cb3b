import assert from "node:assert/strict";
import { join } from "node:path";
import {
  InfoFileError,
  loadTransferInfo,
  parseAddress,
  parseTransferInfo,
} from "../../client/transfer_info.ts";

Deno.test("parseTransferInfo() reads address, name and one file", () => {
  const info = parseTransferInfo("127.0.0.1:1256\nalice\nreport.pdf\n");
  assert.deepEqual(info, {
    host: "127.0.0.1",
    port: 1256,
    name: "alice",
    files: ["report.pdf"],
  });
});

Deno.test("parseTransferInfo() accepts more files, CRLF and blank lines", () => {
  const info = parseTransferInfo(
    "backup.example.org:9000\r\nBob Smith\r\n/a/one.txt\r\n\r\ntwo.bin\r\n",
  );
  assert.equal(info.host, "backup.example.org");
  assert.equal(info.name, "Bob Smith");
  assert.deepEqual(info.files, ["/a/one.txt", "two.bin"]);
});

Deno.test("parseAddress() takes a bracketed IPv6 address", () => {
  assert.deepEqual(parseAddress("[::1]:1256"), { host: "::1", port: 1256 });
  assert.deepEqual(parseAddress("[fe80::1:2]:65535"), {
    host: "fe80::1:2",
    port: 65535,
  });
});

Deno.test("parseTransferInfo() names the line of each kind of bad input", () => {
  const cases: [string, RegExp][] = [
    ["", /line 1: expected host:port/],
    ["localhost\nalice\nf", /line 1: expected host:port/],
    [":1256\nalice\nf", /line 1: host is empty/],
    ["host:0\nalice\nf", /line 1: port 0 is outside 1\.\.65535/],
    ["host:65536\nalice\nf", /line 1: port 65536 is outside/],
    ["host:12ab\nalice\nf", /line 1: port "12ab" is not a number/],
    ["host:\nalice\nf", /line 1: port "" is not a number/],
    ["::1:1256\nalice\nf", /line 1: IPv6 address must be in brackets/],
    ["[zz]:1256\nalice\nf", /line 1: "zz" in brackets is not an IPv6/],
    ["ho st:1256\nalice\nf", /line 1: "ho st" is not a valid host name/],
    ["h:1\n\nf", /line 2: user name is empty/],
    ["h:1", /line 2: user name is empty/],
    [`h:1\n${"x".repeat(101)}\nf`, /line 2: user name has 101 characters/],
    ["h:1\nal\u00efce\nf", /line 2: user name must be printable ASCII/],
    ["h:1\nalice\n", /line 3: expected the path of a file/],
    ["h:1\nalice", /line 3: expected the path of a file/],
    [
      "h:1\nalice\na/x.txt\nb/x.txt",
      /line 4: file name "x.txt" is also on line 3/,
    ],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(
      () => parseTransferInfo(text),
      (error: Error) =>
        error instanceof InfoFileError && pattern.test(error.message) &&
        error.message.startsWith("Cannot read transfer.info: "),
      `input ${JSON.stringify(text)}`,
    );
  }
});

Deno.test("parseTransferInfo() leaves file names to the per-file check", () => {
  const info = parseTransferInfo(
    `h:1\nalice\nr\u00e9sum\u00e9.txt\nbell\x07.txt\n${"n".repeat(300)}\na/..`,
  );
  assert.deepEqual(info.files, [
    "r\u00e9sum\u00e9.txt",
    "bell\x07.txt",
    "n".repeat(300),
    "a/..",
  ]);
});

Deno.test("parseTransferInfo() allows a 100-character name and 254-character file name", () => {
  const info = parseTransferInfo(
    `h:1\n${"a".repeat(100)}\ndir/${"f".repeat(254)}`,
  );
  assert.equal(info.name.length, 100);
  assert.equal(info.files.length, 1);
});

Deno.test("loadTransferInfo() resolves relative paths against its folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "transfer.info");
    await Deno.writeTextFile(
      path,
      "localhost:1256\nalice\nsub/a.txt\n/abs/b\n",
    );
    const info = await loadTransferInfo(path);
    assert.deepEqual(info.files, [join(dir, "sub/a.txt"), "/abs/b"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadTransferInfo() reports a missing file clearly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      loadTransferInfo(join(dir, "transfer.info")),
      /Cannot read .*transfer\.info: file not found/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
