/** Browser file names become names the protocol and the store accept. */
import assert from "node:assert/strict";
import { protocolFileName } from "../../../browser/backup/file_name.ts";
import { checkFileName } from "../../../server/storage/file_name.ts";

Deno.test("protocolFileName() keeps good names and repairs the rest", () => {
  const cases: [string, string][] = [
    ["report.pdf", "report.pdf"],
    ["résumé.pdf", "resume.pdf"],
    ["日本.txt", "__.txt"],
    ["a:b*c?.txt", "a_b_c_.txt"],
    ["trailing. ", "trailing"],
    ["con.txt", "_con.txt"],
    ["...", "file"],
    ["", "file"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(protocolFileName(input), expected, input);
  }
  const long = protocolFileName(`${"x".repeat(300)}.tar.gz`);
  assert.equal(long.length, 254);
  assert.ok(long.endsWith(".gz"));
  for (const [input] of cases) {
    assert.equal(checkFileName(protocolFileName(input)), undefined);
  }
});
