import assert from "node:assert/strict";
import { join } from "node:path";
import { RequestCode } from "../../server/protocol/constants.ts";
import { FakeServer } from "./fake_server.ts";
import { clientDir, pattern } from "./helpers.ts";

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
      "--timeout",
      "--key-field",
      "65537",
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
  result = await run(["--timeout", "soon"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--timeout must be a number of seconds/);
  result = await run(["--key-field", "161"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--key-field must be 160 or 162, not "161"/);
});

Deno.test("cyberbackup backup --timeout bounds the wait on a port that accepts and never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // Never read or answered.
  })();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.txt"), "a");
    await Deno.writeTextFile(
      join(dir, "transfer.info"),
      `127.0.0.1:${port}\nalice\na.txt\n`,
    );
    const started = performance.now();
    const { code, stderr } = await run(["--dir", dir, "--timeout", "0.3"]);
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^Backup failed: Cannot open a session with 127\.0\.0\.1:\d+: Cannot read response: no answer within 300 ms \(gave up after 3 retries\)$/m,
    );
    assert.equal(held.length, 4);
    // 4 tries of 0.3 s and the 0.5 + 1 + 1.5 s pauses between them.
    assert.ok(performance.now() - started < 15_000);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
    await Deno.remove(dir, { recursive: true });
  }
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

Deno.test("cyberbackup backup on Ctrl-C while the server confirms a file exits 130 saying the server may have it", async () => {
  let child: Deno.ChildProcess | undefined;
  const fake = new FakeServer({
    beforeResponse: (request) => {
      if (request.code !== RequestCode.CRC_OK) return;
      child!.kill("SIGINT");
      return new Promise<void>((r) => setTimeout(r, 500));
    },
  });
  const dir = await clientDir(fake.port, { files: { "c.txt": pattern(10) } });
  try {
    child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "backup", "--dir", dir],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = await child.output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.signal, null, "the CLI handles SIGINT itself");
    assert.equal(output.code, 130, stderr);
    assert.match(
      stderr,
      /^Interrupted while the server was confirming .*c\.txt: it may already have stored it\. Run the backup again to be sure/m,
    );
    assert.match(stderr, /^Backup interrupted: 0 of 1 files verified$/m);
    assert.deepEqual(fake.storedFile("alice", "c.txt"), pattern(10));
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});
