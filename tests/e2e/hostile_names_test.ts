/**
 * Hostile names and paths against the real server: names from the wire
 * with ../, absolute paths, backslashes, NUL, control characters, 254
 * characters, reserved device names; symbolic and hard links planted
 * inside received_files/. Nothing is ever written outside the client's
 * folder, and nothing outside is deleted or changed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { ResponseCode } from "../../server/protocol/constants.ts";
import { nameField, packetFrame } from "../soak/fuzz_frames.ts";
import { HOSTILE_NAMES } from "../soak/fuzz_scenarios.ts";
import { note, tree } from "../soak/helpers.ts";
import {
  clientDir,
  confirmChecksum,
  type KeyedClient,
  registerClient,
  startServer,
  type TestServer,
  uploadFile,
} from "./harness.ts";

const encoder = new TextEncoder();

/** Sends `data` as a one-packet upload under a raw name field; returns the answer code. */
async function uploadAs(
  client: KeyedClient,
  field: Uint8Array,
  data: Uint8Array,
): Promise<number | undefined> {
  const cipher = encrypt(client.aesKey, data);
  await client.raw.write(packetFrame(client.clientId, {
    contentSize: cipher.length,
    origFileSize: data.length,
    packetNumber: 1,
    totalPackets: 1,
    name: field,
    content: cipher,
  }));
  return (await client.raw.read())?.code;
}

async function verify(client: KeyedClient, fileName: string) {
  return (await confirmChecksum(client, fileName))?.code;
}

async function store(client: KeyedClient, fileName: string, text: string) {
  const received = await uploadFile(client, fileName, encoder.encode(text));
  assert.equal(received?.code, ResponseCode.FILE_RECEIVED, fileName);
  return await verify(client, fileName);
}

/** What a folder holds, file contents included, for before/after comparisons. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of await tree(root)) {
    const full = join(root, path.replace(/ -> symlink$/, ""));
    const info = await Deno.lstat(full);
    out[path] = info.isFile
      ? await Deno.readTextFile(full)
      : info.isSymlink
      ? `-> ${await Deno.readLink(full)}`
      : "dir";
  }
  return out;
}

async function outsideDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cb-outside-" });
  await Deno.writeTextFile(join(dir, "canary.txt"), "must survive");
  await Deno.mkdir(join(dir, "sub"));
  await Deno.writeTextFile(join(dir, "sub", "deep.txt"), "also");
  return dir;
}

/** Entries of received_files/ other than client folders (32 hex digits), .tmp and .objects. */
function strays(server: TestServer): string[] {
  return [...Deno.readDirSync(join(server.dataDir, "received_files"))]
    .map((e) => e.name)
    .filter((name) =>
      ![".tmp", ".objects"].includes(name) && !/^[0-9a-f]{32}$/.test(name)
    );
}

Deno.test("hostile names from the wire are refused, odd but legal ones stay inside the client's folder", async () => {
  const server = await startServer();
  const outside = await outsideDir();
  const before = await snapshot(outside);
  try {
    // A user name is never a path: the folder is the client id in hex.
    const client = await registerClient(server.port, "../../../tmp/evil\\..");
    const refusedField = [
      ...HOSTILE_NAMES,
      "/",
      "....",
      "...",
      "C:\\Windows\\system.ini",
      "\\\\server\\share\\x",
      `../${outside.slice(1)}/canary.txt`,
      outside + "/canary.txt",
      "PRN",
      "aux.c",
      "CONIN$",
      "conout$.log",
      "LPT9.txt",
      "COM1 .txt",
    ];
    for (const name of refusedField) {
      const code = await uploadAs(client, nameField(name), encoder.encode("x"));
      assert.equal(code, ResponseCode.SERVER_ERROR, `name "${name}"`);
    }
    const badBytes = [
      "a\x01b",
      "x\ty",
      "\x1b[31mred",
      "line\nbreak",
      "del\x7f",
      "caf\xe9",
      "\xff\xfe",
      "a".repeat(255), // fills the field: no NUL terminator
    ];
    for (const name of badBytes) {
      const code = await uploadAs(client, nameField(name), encoder.encode("x"));
      assert.equal(code, ResponseCode.SERVER_ERROR, JSON.stringify(name));
    }
    note(
      `${
        refusedField.length + badBytes.length
      } hostile names refused with 1607`,
    );

    // Legal names: the longest, leading dots, and bytes after the NUL (ignored).
    const longest = "n".repeat(250) + ".txt";
    assert.equal(longest.length, 254);
    const legal: [Uint8Array, string][] = [
      [nameField(longest), longest],
      [nameField("..hidden"), "..hidden"],
      [nameField(".profile"), ".profile"],
      [nameField("a..b"), "a..b"],
      [nameField("with space.txt"), "with space.txt"],
      [nameField("safe\0/../../etc/passwd"), "safe"],
    ];
    for (const [field, name] of legal) {
      const code = await uploadAs(client, field, encoder.encode(name));
      assert.equal(code, ResponseCode.FILE_RECEIVED, name);
      assert.equal(await verify(client, name), ResponseCode.ACK, name);
    }
    client.raw.close();

    const folder = clientDir(server, client.clientId);
    assert.deepEqual(
      (await tree(folder)).sort(),
      legal.map(([, name]) => name).sort(),
    );
    assert.equal(
      await Deno.readTextFile(join(folder, "safe")),
      "safe",
    );
    assert.deepEqual(strays(server), []);
    assert.deepEqual(
      await tree(join(server.dataDir, "received_files", ".tmp")),
      [],
    );
    assert.deepEqual(await snapshot(outside), before);
    await assert.rejects(() => Deno.stat("/tmp/evil"), Deno.errors.NotFound);
  } finally {
    await server.stop();
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("links planted inside received_files/ are replaced or refused, never written through or emptied", async () => {
  const outside = await outsideDir();
  await Deno.writeTextFile(join(outside, "victim.txt"), "outside file");
  await Deno.writeTextFile(join(outside, "hard.txt"), "hard-linked file");
  const before = await snapshot(outside);
  let server = await startServer();
  try {
    const alice = await registerClient(server.port, "alice");
    assert.equal(await store(alice, "first.txt", "alice's"), ResponseCode.ACK);
    const folder = clientDir(server, alice.clientId);

    // A symlink and a hard link at final names: the upload replaces the link.
    await Deno.symlink(join(outside, "victim.txt"), join(folder, "victim.txt"));
    await Deno.symlink(join(outside, "sub"), join(folder, "sub"));
    await Deno.link(join(outside, "hard.txt"), join(folder, "hard.txt"));
    for (const name of ["victim.txt", "sub", "hard.txt"]) {
      assert.equal(await store(alice, name, `new ${name}`), ResponseCode.ACK);
      const info = await Deno.lstat(join(folder, name));
      assert.ok(info.isFile && !info.isSymlink, `${name} is now a plain file`);
      assert.equal(await Deno.readTextFile(join(folder, name)), `new ${name}`);
    }

    // A symlink as a new client's folder: its uploads are refused.
    const bob = await registerClient(server.port, "bob");
    await Deno.symlink(outside, clientDir(server, bob.clientId));
    const refused = await uploadFile(bob, "x.txt", encoder.encode("bob's"));
    assert.equal(refused?.code, ResponseCode.SERVER_ERROR);
    bob.raw.close();

    // A symlink as the temporary folder while running: uploads are refused.
    const temps = join(server.dataDir, "received_files", ".tmp");
    await Deno.remove(temps, { recursive: true });
    await Deno.symlink(outside, temps);
    const carol = await registerClient(server.port, "carol");
    const noTemp = await uploadFile(carol, "y.txt", encoder.encode("carol's"));
    assert.equal(noTemp?.code, ResponseCode.SERVER_ERROR);
    carol.raw.close();
    alice.raw.close();

    // On restart the planted temporary folder is unlinked, not emptied.
    await server.stop();
    server = await startServer({ dataDir: server.dataDir });
    const info = await Deno.lstat(temps).catch(() => undefined);
    assert.ok(!info?.isSymlink, "the planted .tmp link is gone");
    const dave = await registerClient(server.port, "dave");
    assert.equal(await store(dave, "z.txt", "dave's"), ResponseCode.ACK);
    dave.raw.close();

    assert.deepEqual(
      await snapshot(outside),
      before,
      "nothing outside changed",
    );
    assert.deepEqual(strays(server), []);
    note(
      "symlinks at 2 final names, a hard link, a client folder and .tmp: outside folder unchanged",
    );
  } finally {
    await server.stop();
    await Deno.remove(outside, { recursive: true });
  }
});
