/**
 * File names beyond ASCII, end to end: the command-line client against the
 * real server process.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readMeInfo } from "../../client/me_info.ts";
import { toHex } from "../../shared/encoding.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { pattern } from "../client/helpers.ts";
import { startServer } from "./harness.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

Deno.test("cyberbackup backup stores résumé.txt under its UTF-8 name and refuses only the file whose name cannot travel", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cb-e2e-names-" });
  const server = await startServer();
  try {
    const resume = "r\u00e9sum\u00e9.txt";
    const japanese = "\u65e5\u672c\u8a9e.bin";
    const tooLong = `${"\u00e9".repeat(127)}x`; // 255 bytes: no room for the NUL
    const files: Record<string, Uint8Array> = {
      [resume]: pattern(42, 5),
      [tooLong]: pattern(7, 6),
      [japanese]: pattern(1500 * 1024, 7),
    };
    for (const [name, data] of Object.entries(files)) {
      await Deno.writeFile(join(dir, name), data);
    }
    await Deno.writeTextFile(
      join(dir, "transfer.info"),
      `127.0.0.1:${server.port}\nalice\n${Object.keys(files).join("\n")}\n`,
    );
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "backup", "--dir", dir],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(result.stdout);
    const stderr = new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 1, stdout + stderr);
    assert.match(
      stdout,
      new RegExp(
        `^Verified ${resume} \\(42 B, cksum ${cksum(files[resume])}\\)$`,
        "m",
      ),
    );
    assert.match(stdout, new RegExp(`^Verified ${japanese} `, "m"));
    assert.equal(
      stderr,
      `Cannot back up ${
        join(dir, tooLong)
      }: file name refused: name is longer than 254 bytes in UTF-8\n` +
        "Backup failed: 1 of 3 files not verified\n",
    );
    const me = await readMeInfo(join(dir, "me.info"));
    const folder = join(server.dataDir, "received_files", toHex(me!.clientId));
    const stored = [];
    for await (const entry of Deno.readDir(folder)) stored.push(entry.name);
    assert.deepEqual(stored.sort(), [resume, japanese].sort());
    for (const name of [resume, japanese]) {
      const bytes = await Deno.readFile(join(folder, name));
      assert.equal(bytes.length, files[name].length, name);
      assert.equal(cksum(bytes), cksum(files[name]), name);
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(server.dataDir, { recursive: true });
  }
});
