/**
 * `cyberbackup restore` against the real server process over TCP: every
 * version byte for byte, `--at`, resume, the failures a user must see
 * clearly (wrong key, lost me.info, another client's file, a missing file,
 * a tampered packet, an existing local file), restore during an upload of
 * the same name, and a server killed mid-restore.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runBackup } from "../../client/backup.ts";
import { generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import { readMeInfo, writeMeInfo } from "../../client/me_info.ts";
import { partialPath, runRestore } from "../../client/restore.ts";
import { assertBytesEqual } from "../bytes_assert.ts";
import { collectOutput, pattern } from "../client/helpers.ts";
import {
  RawClient,
  registerClient,
  sendFrames,
  startServer,
  type TestServer,
  uploadFrames,
} from "./harness.ts";
import {
  RequestCode,
  ResponseCode,
  RestoreRequestCode,
} from "../../server/protocol/constants.ts";
import { encodeRestoreRequest } from "../../server/protocol/restore_codec.ts";
import { blake3 } from "../history/fixture.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const MiB = 1024 * 1024;

/** Folders the running test made, removed at its end by `cleanUp()`. */
const made: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  made.push(dir);
  return dir;
}

async function cleanUp(server?: TestServer): Promise<void> {
  if (server) made.push(server.dataDir);
  for (const dir of made.splice(0)) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A client folder for `name` whose transfer.info names `file`, at `port`. */
async function clientFolder(port: number, name: string, file = "doc.bin") {
  const dir = await tempDir("cb-restore-");
  await writeTransferInfo(dir, port, name, file);
  return dir;
}

async function writeTransferInfo(
  dir: string,
  port: number,
  name: string,
  file = "doc.bin",
) {
  await Deno.writeTextFile(
    join(dir, "transfer.info"),
    `127.0.0.1:${port}\n${name}\n${file}\n`,
  );
}

/** Backs up `data` as `file` from `dir` (a new version each time). */
async function backUp(dir: string, data: Uint8Array, file = "doc.bin") {
  await Deno.writeFile(join(dir, file), data);
  const out = collectOutput();
  const status = await runBackup({ dir, out });
  assert.equal(status, 0, out.errors.join("\n"));
}

/** Runs `runRestore` with collected output; the status and the output. */
async function restore(options: Parameters<typeof runRestore>[0]) {
  const out = collectOutput();
  const status = await runRestore({ retryDelayMs: 50, ...options, out });
  return { status, out, text: [...out.lines, ...out.errors].join("\n") };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A TCP proxy to `port` that passes client bytes through and hands every
 * chunk of the server's bytes to `onServerBytes` (with the stream offset),
 * which may alter it in place or wait before it is forwarded.
 */
function proxy(
  port: number,
  onServerBytes: (chunk: Uint8Array, offset: number) => Promise<void> | void,
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const client of listener) {
      conns.push(client);
      const server = await Deno.connect({ hostname: "127.0.0.1", port })
        .catch(() => undefined);
      if (!server) {
        client.close();
        continue;
      }
      conns.push(server);
      const close = () => {
        for (const c of [client, server]) {
          try {
            c.close();
          } catch { /* closed */ }
        }
      };
      client.readable.pipeTo(server.writable).catch(close);
      (async () => {
        let offset = 0;
        const writer = client.writable.getWriter();
        for await (const chunk of server.readable) {
          await onServerBytes(chunk, offset);
          offset += chunk.length;
          await writer.write(chunk);
        }
        close();
      })().catch(close);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

Deno.test("restore brings back every version byte for byte, --at picks the newest at or before a time, --list shows them", async () => {
  const server = await startServer();
  const dir = await clientFolder(server.port, "alice");
  const to = await tempDir("cb-restored-");
  try {
    const versions = [pattern(3 * MiB + 7, 1), pattern(100, 2), pattern(0, 3)];
    for (const data of versions) {
      await backUp(dir, data);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The CLI process itself: --list and its exit status.
    const listed = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "restore", "--dir", dir, "--list"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const listing = new TextDecoder().decode(listed.stdout);
    assert.equal(listed.code, 0, new TextDecoder().decode(listed.stderr));
    assert.match(listing, /^doc\.bin$/m);
    const times: string[] = [];
    for (const [i, data] of versions.entries()) {
      const line = new RegExp(
        `^  version ${
          i + 1
        }  (\\S+)  .*\\(${data.length} bytes\\)  cksum \\d+  blake3 ${
          blake3(data)
        }$`,
        "m",
      ).exec(listing);
      assert.ok(line, `version ${i + 1} listed:\n${listing}`);
      times.push(line[1]);
    }

    for (const [i, data] of versions.entries()) {
      const result = await restore({
        dir,
        to,
        choice: { kind: "number", number: i + 1 },
        overwrite: true,
      });
      assert.equal(result.status, 0, result.text);
      assertBytesEqual(await Deno.readFile(join(to, "doc.bin")), data);
    }
    // --at: exactly at version 2's time, and just after it, give version 2.
    for (const at of [Date.parse(times[1]), Date.parse(times[1]) + 1]) {
      const result = await restore({
        dir,
        to,
        choice: { kind: "at", at, text: String(at) },
        overwrite: true,
      });
      assert.equal(result.status, 0, result.text);
      assert.match(result.text, /Restored doc\.bin version 2 /);
      assertBytesEqual(await Deno.readFile(join(to, "doc.bin")), versions[1]);
    }
    const before = await restore({
      dir,
      to,
      choice: { kind: "at", at: Date.parse(times[0]) - 1, text: "then" },
      overwrite: true,
    });
    assert.equal(before.status, 1);
    assert.match(before.text, /no version stored at or before then/);
    // Default: the newest (empty) version; no file left under a temporary name.
    const newest = await restore({ dir, to, overwrite: true });
    assert.equal(newest.status, 0, newest.text);
    assert.equal((await Deno.readFile(join(to, "doc.bin"))).length, 0);
    assert.deepEqual(
      [...Deno.readDirSync(to)].map((e) => e.name),
      ["doc.bin"],
    );
  } finally {
    await server.stop();
    await cleanUp(server);
  }
});

Deno.test("restore resumes a partial file from its end, and a partial file that does not match is dropped, never named", async () => {
  const server = await startServer();
  const dir = await clientFolder(server.port, "bob");
  const to = await tempDir("cb-restored-");
  try {
    const data = pattern(5 * MiB + 3, 4);
    await backUp(dir, data);
    const partial = partialPath(to, blake3(data));
    await Deno.writeFile(partial, data.subarray(0, 2 * MiB + 1));
    const resumed = await restore({ dir, to });
    assert.equal(resumed.status, 0, resumed.text);
    assert.match(resumed.text, /Resuming doc\.bin at byte 2097153 of 5242883/);
    assertBytesEqual(await Deno.readFile(join(to, "doc.bin")), data);
    assert.equal(await exists(partial), false);

    // A partial file with wrong bytes: the checksum fails, nothing is named.
    await Deno.remove(join(to, "doc.bin"));
    const wrong = data.slice(0, MiB);
    wrong[10] ^= 1;
    await Deno.writeFile(partial, wrong);
    const failed = await restore({ dir, to });
    assert.equal(failed.status, 1);
    assert.match(failed.text, /does not match/);
    assert.equal(await exists(join(to, "doc.bin")), false);
    assert.equal(await exists(partial), false);
    // And the next run restores it whole.
    assert.equal((await restore({ dir, to })).status, 0);
    assertBytesEqual(await Deno.readFile(join(to, "doc.bin")), data);
  } finally {
    await server.stop();
    await cleanUp(server);
  }
});

Deno.test("restore fails clearly: wrong key, lost me.info, another client's file, a missing file, an existing local file", async () => {
  const server = await startServer();
  const alice = await clientFolder(server.port, "alice", "secret.txt");
  const bob = await clientFolder(server.port, "bob", "bob.txt");
  const to = await tempDir("cb-restored-");
  try {
    await backUp(
      alice,
      new TextEncoder().encode("alice's secret"),
      "secret.txt",
    );
    await backUp(bob, new TextEncoder().encode("bob's"), "bob.txt");

    // Someone with Alice's name and id but another private key.
    const stranger = await tempDir("cb-stranger-");
    await writeTransferInfo(stranger, server.port, "alice", "secret.txt");
    const me = (await readMeInfo(join(alice, "me.info")))!;
    await writeMeInfo(join(stranger, "me.info"), {
      ...me,
      privateKey: generateKeyPair().privateKey,
    });
    const wrongKey = await restore({ dir: stranger, to });
    assert.equal(wrongKey.status, 1);
    assert.match(
      wrongKey.text,
      /me\.info does not open the server's session key/,
    );
    assert.match(wrongKey.text, /re-key/);
    assert.deepEqual([...Deno.readDirSync(to)], []);

    // Lost me.info: no registration, a message that says what to do.
    await Deno.remove(join(stranger, "me.info"));
    const lost = await restore({ dir: stranger, to });
    assert.equal(lost.status, 1);
    assert.match(lost.text, /me\.info is missing/);
    assert.match(
      lost.text,
      /administrator can re-key this client from the portal/,
    );
    assert.equal(await exists(join(stranger, "me.info")), false);

    // Bob asks for Alice's file, and for one nobody stored.
    for (const file of ["secret.txt", "nothing.txt"]) {
      const result = await restore({ dir: bob, to, files: [file] });
      assert.equal(result.status, 1);
      assert.match(result.text, new RegExp(`no backup of "${file}"`));
    }
    // Partial success is failure: one restored, one missing.
    const mixed = await restore({
      dir: bob,
      to,
      files: ["bob.txt", "nothing.txt"],
    });
    assert.equal(mixed.status, 1);
    assert.match(mixed.text, /1 of 2 files not restored/);
    assert.equal(await Deno.readTextFile(join(to, "bob.txt")), "bob's");

    // An existing local file is kept unless --overwrite.
    await Deno.writeTextFile(join(to, "bob.txt"), "local edits");
    const kept = await restore({ dir: bob, to });
    assert.equal(kept.status, 1);
    assert.match(kept.text, /exists \(use --overwrite/);
    assert.equal(await Deno.readTextFile(join(to, "bob.txt")), "local edits");
    assert.equal((await restore({ dir: bob, to, overwrite: true })).status, 0);
    assert.equal(await Deno.readTextFile(join(to, "bob.txt")), "bob's");
  } finally {
    await server.stop();
    await cleanUp(server);
  }
});

Deno.test("a byte altered between server and client fails the packet's tag: exit 1, no file under its name", async () => {
  const server = await startServer();
  const dir = await clientFolder(server.port, "carol");
  const to = await tempDir("cb-restored-");
  try {
    const data = pattern(3 * MiB, 5);
    await backUp(dir, data);
    const target = 2 * MiB; // well inside the fetch stream, past the list
    let flipped = false;
    const mitm = proxy(server.port, (chunk, offset) => {
      if (!flipped && offset <= target && target < offset + chunk.length) {
        chunk[target - offset] ^= 0x10;
        flipped = true;
      }
    });
    await writeTransferInfo(dir, mitm.port, "carol");
    const result = await restore({ dir, to, retries: 0 });
    mitm.close();
    assert.ok(flipped);
    assert.equal(result.status, 1);
    assert.match(result.text, /failed authentication/);
    assert.equal(await exists(join(to, "doc.bin")), false);
  } finally {
    await server.stop();
    await cleanUp(server);
  }
});

Deno.test("restore during an upload of the same name gets the version it chose, whole; the upload becomes the next version", async () => {
  const server = await startServer();
  const dir = await clientFolder(server.port, "dave");
  const writer = await clientFolder(server.port, "dave");
  const to = await tempDir("cb-restored-");
  try {
    const first = pattern(16 * MiB, 6);
    const second = pattern(16 * MiB, 7);
    await backUp(dir, first);
    await Deno.copyFile(join(dir, "me.info"), join(writer, "me.info"));
    const [restored, uploaded] = await Promise.all([
      restore({ dir, to, choice: { kind: "number", number: 1 } }),
      backUp(writer, second),
    ]);
    assert.equal(restored.status, 0, restored.text);
    assert.equal(uploaded, undefined);
    assertBytesEqual(await Deno.readFile(join(to, "doc.bin")), first);
    const latest = await restore({ dir, to, overwrite: true });
    assert.match(latest.text, /Restored doc\.bin version 2 /);
    assertBytesEqual(await Deno.readFile(join(to, "doc.bin")), second);
  } finally {
    await server.stop();
    await cleanUp(server);
  }
});

Deno.test("kill -9 of the server mid-restore: the client fails, no partial file under the final name, and a later run resumes", async () => {
  const dataDir = await tempDir("cb-e2e-kill-");
  let server: TestServer = await startServer({ dataDir });
  const dir = await clientFolder(server.port, "erin");
  const to = await tempDir("cb-restored-");
  try {
    const data = pattern(16 * MiB, 8);
    await backUp(dir, data);
    // Slow the stream down so the kill lands in the middle of it.
    let killed: Promise<unknown> | undefined;
    const slow = proxy(server.port, async (_chunk, offset) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (offset > 4 * MiB && !killed) killed = server.kill();
    });
    await writeTransferInfo(dir, slow.port, "erin");
    const result = await restore({ dir, to, retries: 1 });
    slow.close();
    await killed;
    assert.ok(killed, "the server was killed during the restore");
    assert.equal(result.status, 1);
    assert.match(result.text, /Cannot restore doc\.bin/);
    assert.equal(await exists(join(to, "doc.bin")), false);
    const kept = (await Deno.stat(partialPath(to, blake3(data)))).size;
    assert.ok(kept > 0 && kept < data.length, `partial file of ${kept} bytes`);

    server = await startServer({ dataDir });
    await writeTransferInfo(dir, server.port, "erin");
    const again = await restore({ dir, to });
    assert.equal(again.status, 0, again.text);
    assert.match(again.text, /Resuming doc\.bin at byte/);
    assertBytesEqual(await Deno.readFile(join(to, "doc.bin")), data);
  } finally {
    await server.stop();
    await cleanUp(server);
  }
});

Deno.test("over raw TCP, someone with a client's name and id gets 1607 for every restore request, and a bad restore header closes the connection", async () => {
  const server = await startServer();
  try {
    const alice = await registerClient(server.port, "alice");
    const sent = await sendFrames(
      alice,
      uploadFrames(alice, "secret.txt", new TextEncoder().encode("secret")),
    );
    assert.equal(sent?.code, ResponseCode.FILE_RECEIVED);
    assert.equal(
      (await alice.raw.request({
        code: RequestCode.CRC_OK,
        clientId: alice.clientId,
        fileName: "secret.txt",
      }))?.code,
      ResponseCode.ACK,
    );
    alice.raw.close();

    const intruder = await RawClient.connect(server.port);
    const reconnected = await intruder.request({
      code: RequestCode.RECONNECT,
      clientId: alice.clientId,
      name: "alice",
    });
    assert.equal(reconnected?.code, ResponseCode.RECONNECT_OK);
    const requests = [
      { code: RestoreRequestCode.LIST, clientId: alice.clientId },
      {
        code: RestoreRequestCode.FETCH,
        clientId: alice.clientId,
        fileName: "secret.txt",
        version: 0,
        offset: 0,
      },
      {
        code: RestoreRequestCode.PROVE_KEY,
        clientId: alice.clientId,
        proof: new Uint8Array(32),
      },
      { code: RestoreRequestCode.LIST, clientId: alice.clientId },
    ] as const;
    for (const request of requests) {
      await intruder.write(encodeRestoreRequest(request));
      // 1607 with no payload, the connection going on: nothing learnt.
      assert.equal((await intruder.read())?.code, ResponseCode.SERVER_ERROR);
    }
    // A restore header with a payload size its code does not allow.
    const bad = encodeRestoreRequest({
      code: RestoreRequestCode.LIST,
      clientId: alice.clientId,
    });
    bad[19] = 4;
    await intruder.write(bad);
    assert.equal((await intruder.read())?.code, ResponseCode.SERVER_ERROR);
    assert.equal(await intruder.read(), null);
    intruder.close();
  } finally {
    await server.stop();
    await cleanUp(server);
  }
});

Deno.test("an interrupted restore (Ctrl-C) exits 130, keeps no file under its name, and resumes on the next run", async () => {
  const server = await startServer();
  const dir = await clientFolder(server.port, "fay");
  const to = await tempDir("cb-restored-");
  try {
    const data = pattern(8 * MiB, 9);
    await backUp(dir, data);
    const interrupt = new AbortController();
    const slow = proxy(server.port, async (_chunk, offset) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (offset > 2 * MiB) interrupt.abort();
    });
    await writeTransferInfo(dir, slow.port, "fay");
    const stopped = await restore({ dir, to, signal: interrupt.signal });
    slow.close();
    assert.equal(stopped.status, 130, stopped.text);
    assert.match(stopped.text, /Restore interrupted: no partial file/);
    assert.equal(await exists(join(to, "doc.bin")), false);
    await writeTransferInfo(dir, server.port, "fay");
    const again = await restore({ dir, to });
    assert.equal(again.status, 0, again.text);
    assert.match(again.text, /Resuming doc\.bin at byte/);
    assertBytesEqual(await Deno.readFile(join(to, "doc.bin")), data);
  } finally {
    await server.stop();
    await cleanUp(server);
  }
});
