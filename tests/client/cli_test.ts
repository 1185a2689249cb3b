import assert from "node:assert/strict";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function run(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "backup", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("cyberbackup backup --help documents the files and flags", async () => {
  const { code, stdout } = await run(["--help"]);
  assert.equal(code, 0);
  for (
    const word of [
      "transfer.info",
      "me.info",
      "--dir",
      "--oaep-hash",
      "Exit status",
    ]
  ) {
    assert.ok(stdout.includes(word), word);
  }
});

Deno.test("cyberbackup backup exits 2 on a usage error", async () => {
  let result = await run(["--bogus"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /cyberbackup backup: .*--bogus/);
  result = await run(["--oaep-hash", "md5"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--oaep-hash must be sha1 or sha256, not "md5"/);
});

Deno.test("cyberbackup backup exits 1 with one line when transfer.info is missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { code, stdout, stderr } = await run(["--dir", dir]);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `Backup failed: Cannot read ${dir}/transfer.info: file not found\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
