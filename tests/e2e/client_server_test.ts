/**
 * The command-line client against the real server process: registration,
 * multi-packet upload, restart and reconnect, re-registration.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runBackup } from "../../client/backup.ts";
import { readMeInfo } from "../../client/me_info.ts";
import { toHex } from "../../shared/encoding.ts";
import { collectOutput, pattern } from "../client/helpers.ts";
import { startServer, type TestServer } from "./harness.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const MiB = 1024 * 1024;

async function writeTransferInfo(dir: string, port: number, files: string[]) {
  await Deno.writeTextFile(
    join(dir, "transfer.info"),
    `127.0.0.1:${port}\nalice\n${files.join("\n")}\n`,
  );
}

async function storedFile(server: TestServer, dir: string, name: string) {
  const me = await readMeInfo(join(dir, "me.info"));
  assert.ok(me, "me.info was written");
  return await Deno.readFile(
    join(server.dataDir, "received_files", toHex(me.clientId), name),
  );
}

Deno.test("cyberbackup backup uploads a 5 MiB file that the server stores byte for byte, and reconnects after a server restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cb-e2e-client-data-" });
  const dir = await Deno.makeTempDir({ prefix: "cb-e2e-client-" });
  let server = await startServer({ dataDir });
  try {
    const data = pattern(5 * MiB, 3);
    await Deno.writeFile(join(dir, "five.bin"), data);
    await writeTransferInfo(dir, server.port, ["five.bin"]);
    const first = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "backup", "--dir", dir],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(first.stdout);
    const stderr = new TextDecoder().decode(first.stderr);
    assert.equal(first.code, 0, stdout + stderr);
    assert.match(stdout, /^Registered as alice \([0-9a-f]{32}\)$/m);
    assert.match(stdout, /^upload five\.bin: 100% +5\.00 MiB \/ 5\.00 MiB/m);
    assert.match(stdout, /^Verified five\.bin \(5\.00 MiB, cksum \d+\)$/m);
    assertBytesEqual(await storedFile(server, dir, "five.bin"), data);
    await server.waitForOutput(/Received five\.bin/);
    assert.equal(
      (server.output().match(/Received five\.bin/g) ?? []).length,
      1,
    );

    await server.stop();
    server = await startServer({ dataDir });
    const changed = pattern(5 * MiB + 7, 4);
    await Deno.writeFile(join(dir, "five.bin"), changed);
    await writeTransferInfo(dir, server.port, ["five.bin"]);
    const out = collectOutput();
    const status = await runBackup({ dir, out, retryDelayMs: 10 });
    assert.equal(status, 0, out.errors.join("\n"));
    assert.ok(out.lines.some((l) => l.startsWith("Reconnected as alice (")));
    assert.ok(!out.lines.some((l) => l.startsWith("Registered")));
    assertBytesEqual(await storedFile(server, dir, "five.bin"), changed);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("cyberbackup backup registers again when the server forgot it, and a second client cannot take the name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cb-e2e-client-" });
  const other = await Deno.makeTempDir({ prefix: "cb-e2e-client-" });
  let server = await startServer();
  const dataDirs = [server.dataDir];
  try {
    await Deno.writeFile(join(dir, "a.txt"), pattern(1000));
    await Deno.writeFile(join(dir, "empty.txt"), new Uint8Array(0));
    await writeTransferInfo(dir, server.port, ["a.txt", "empty.txt"]);
    assert.equal(await runBackup({ dir, out: collectOutput() }), 0);
    const firstId = toHex((await readMeInfo(join(dir, "me.info")))!.clientId);

    await Deno.writeFile(join(other, "b.txt"), pattern(10));
    await writeTransferInfo(other, server.port, ["b.txt"]);
    const taken = collectOutput();
    assert.equal(await runBackup({ dir: other, out: taken }), 1);
    assert.match(
      taken.errors[0],
      /name is already registered .*\(1601\)\. If the name is yours and you lost me\.info, ask the administrator to re-key/,
    );
    assert.equal(await readMeInfo(join(other, "me.info")), undefined);

    // A new server with an empty database does not know the saved identity.
    await server.stop();
    server = await startServer();
    dataDirs.push(server.dataDir);
    await writeTransferInfo(dir, server.port, ["a.txt", "empty.txt"]);
    const out = collectOutput();
    assert.equal(await runBackup({ dir, out }), 0, out.errors.join("\n"));
    assert.ok(
      out.lines.some((l) => /rejected the reconnect of alice \(1606\)/.test(l)),
    );
    const newId = toHex((await readMeInfo(join(dir, "me.info")))!.clientId);
    assert.notEqual(newId, firstId);
    assertBytesEqual(await storedFile(server, dir, "a.txt"), pattern(1000));
    assertBytesEqual(
      await storedFile(server, dir, "empty.txt"),
      new Uint8Array(0),
    );
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
    for (const d of dataDirs) await Deno.remove(d, { recursive: true });
  }
});
