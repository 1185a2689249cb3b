/**
 * A third-party C++/Crypto++ client (tests/peers/classic_client, written
 * for these tests, sharing no code with the server) against the real server
 * over TCP: the classic client's field dialect (162-byte key field, zero-IV
 * prefix, per-packet ContentSize, CRC-only check, 1030 resend, 1031, 1606
 * then re-registration), and every other dialect its flags select.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pattern } from "../client/helpers.ts";
import { startServer, type TestServer } from "./harness.ts";
import {
  buildClassicClient,
  type KeyField,
  type PeerDialect,
  type PeerRun,
  peerToolchainMissing,
  runPeer,
} from "../peers/classic_client.ts";

const MiB = 1024 * 1024;
const missing = peerToolchainMissing();
if (missing) {
  // deno-lint-ignore no-console
  console.log(`Skipping the classic C++ client tests: ${missing}.`);
}
let built: ReturnType<typeof buildClassicClient> | undefined;

/** The peer's binary, built by the first test that needs it. */
async function peerBinary(): Promise<string> {
  built ??= buildClassicClient();
  return (await built).path;
}

/** A client folder (transfer.info, the file, later me.info) for one name. */
class PeerFolder {
  constructor(readonly dir: string, readonly name: string) {}

  static async create(name: string): Promise<PeerFolder> {
    return new PeerFolder(
      await Deno.makeTempDir({ prefix: "cb-e2e-classic-" }),
      name,
    );
  }

  /** Runs the peer once to back up `data` as `fileName`. */
  async backup(
    server: TestServer,
    file: { fileName: string; data: Uint8Array },
    dialect: PeerDialect = {},
  ): Promise<PeerRun> {
    await Deno.writeFile(join(this.dir, file.fileName), file.data);
    await Deno.writeTextFile(
      join(this.dir, "transfer.info"),
      `127.0.0.1:${server.port}\n${this.name}\n${file.fileName}\n`,
    );
    return await runPeer(await peerBinary(), this.dir, dialect);
  }

  /** The client id saved in me.info (32 hex digits). */
  async id(): Promise<string> {
    const lines = (await Deno.readTextFile(join(this.dir, "me.info")))
      .split("\n");
    assert.equal(lines[0], this.name);
    assert.match(lines[1], /^[0-9a-f]{32}$/);
    return lines[1];
  }

  remove(): Promise<void> {
    return Deno.remove(this.dir, { recursive: true });
  }
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

function storedPath(server: TestServer, id: string, fileName: string): string {
  return join(server.dataDir, "received_files", id, fileName);
}

/** The server holds `data` as `fileName` of the folder's client, byte for byte. */
async function assertStored(
  server: TestServer,
  folder: PeerFolder,
  file: { fileName: string; data: Uint8Array<ArrayBuffer> },
): Promise<void> {
  const stored = await Deno.readFile(
    storedPath(server, await folder.id(), file.fileName),
  );
  assert.equal(stored.length, file.data.length, `${file.fileName} length`);
  assert.equal(await sha256(stored), await sha256(file.data), file.fileName);
}

/** The run exited 0 after the server verified `fileName` in `packets` packets. */
function assertVerified(run: PeerRun, fileName: string, packets: number) {
  const said = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  assert.equal(run.code, 0, said);
  assert.ok(
    run.stdout.includes(`Verified ${fileName} (${packets} packets, cksum `),
    said,
  );
}

/** Runs `body` with a fresh server, stopped and removed afterwards. */
async function withServer(
  body: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startServer();
  try {
    await body(server);
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
}

function file(fileName: string, size: number, seed: number) {
  return { fileName, data: pattern(size, seed) as Uint8Array<ArrayBuffer> };
}

Deno.test({
  name:
    "The classic client's dialect backs up 0, 1, 42 bytes and 5 MiB + 3 bytes in 6 packets, registering once and reconnecting after",
  ignore: !!missing,
  async fn() {
    await withServer(async (server) => {
      const folder = await PeerFolder.create("classic");
      try {
        const files = [
          { ...file("empty.bin", 0, 1), packets: 1 },
          { ...file("one.bin", 1, 2), packets: 1 },
          { ...file("answer.txt", 42, 3), packets: 1 },
          // 16 zero bytes + 5 MiB + 16 of ciphertext: 5 full packets and 32 bytes.
          { ...file("five.bin", 5 * MiB + 3, 4), packets: 6 },
        ];
        for (const [i, f] of files.entries()) {
          const run = await folder.backup(server, f);
          assertVerified(run, f.fileName, f.packets);
          const greeting = i === 0
            ? /^Registered as classic \([0-9a-f]{32}\)$/m
            : /^Reconnected as classic \([0-9a-f]{32}\)$/m;
          assert.match(run.stdout, greeting);
          if (i > 0) assert.doesNotMatch(run.stdout, /Registered/);
        }
        for (const f of files) await assertStored(server, folder, f);
      } finally {
        await folder.remove();
      }
    });
  },
});

Deno.test({
  name: "The classic client's dialect backs up a 50 MiB file in 51 packets",
  ignore: !!missing,
  async fn() {
    await withServer(async (server) => {
      const folder = await PeerFolder.create("classic-large");
      try {
        const large = file("large.bin", 50 * MiB, 5);
        assertVerified(await folder.backup(server, large), "large.bin", 51);
        await assertStored(server, folder, large);
      } finally {
        await folder.remove();
      }
    });
  },
});

const KEY_FIELDS: KeyField[] = ["160", "162junk", "162e65537"];

Deno.test({
  name:
    "Every dialect the classic client's flags select registers, then backs up 17 bytes and exactly two full packets",
  ignore: !!missing,
  async fn(t) {
    await withServer(async (server) => {
      for (const keyField of KEY_FIELDS) {
        for (const ivPrefix of [true, false]) {
          for (const size of ["total", "packet"] as const) {
            const dialect = { keyField, ivPrefix, size };
            const label = `key ${keyField}, IV prefix ${
              ivPrefix ? "yes" : "no"
            }, ContentSize ${size}`;
            await t.step(label, async () => {
              const folder = await PeerFolder.create(
                `${keyField}-${ivPrefix ? "iv" : "no-iv"}-${size}`,
              );
              try {
                const small = file("seventeen.bin", 17, 6);
                const first = await folder.backup(server, small, dialect);
                assertVerified(first, small.fileName, 1);
                assert.match(first.stdout, /^Registered as /m);
                // Padding adds a full block to a multiple of 16, the prefix
                // 16 more: 2 MiB sent, to the byte.
                const two = file("two.bin", 2 * MiB - (ivPrefix ? 32 : 16), 7);
                const second = await folder.backup(server, two, dialect);
                assertVerified(second, two.fileName, 2);
                assert.match(second.stdout, /^Reconnected as /m);
                await assertStored(server, folder, small);
                await assertStored(server, folder, two);
              } finally {
                await folder.remove();
              }
            });
          }
        }
      }
      await t.step("64 KiB packets in the classic dialect", async () => {
        const folder = await PeerFolder.create("small-packets");
        try {
          // 16 + 200,016 bytes sent: three full 64 KiB packets and a remainder.
          const f = file("packets.bin", 200_000, 8);
          const run = await folder.backup(server, f, {
            packetBytes: 64 * 1024,
          });
          assertVerified(run, f.fileName, 4);
          await assertStored(server, folder, f);
        } finally {
          await folder.remove();
        }
      });
    });
  },
});

Deno.test({
  name:
    "After a checksum mismatch the classic client sends 1030 and the file again at once, and the second attempt verifies",
  ignore: !!missing,
  async fn() {
    await withServer(async (server) => {
      const folder = await PeerFolder.create("retrying");
      try {
        const f = file("retry.bin", 3 * MiB + 5, 9);
        const run = await folder.backup(server, f, { failCrc: 1 });
        assertVerified(run, f.fileName, 4);
        assert.match(run.stdout, /^Checksum mismatch on attempt 1 /m);
        assert.doesNotMatch(run.stdout, /attempt 2/);
        await assertStored(server, folder, f);
      } finally {
        await folder.remove();
      }
    });
  },
});

Deno.test({
  name:
    "After three checksum mismatches the classic client gives up with 1031, exits 1 and the server keeps nothing",
  ignore: !!missing,
  async fn() {
    await withServer(async (server) => {
      const folder = await PeerFolder.create("giving-up");
      try {
        const f = file("doomed.bin", 1000, 10);
        const run = await folder.backup(server, f, { failCrc: 3 });
        assert.equal(run.code, 1, run.stdout + run.stderr);
        for (const attempt of [1, 2, 3]) {
          assert.match(
            run.stdout,
            new RegExp(`^Checksum mismatch on attempt ${attempt} `, "m"),
          );
        }
        assert.doesNotMatch(run.stdout, /Verified/);
        await assert.rejects(
          Deno.stat(storedPath(server, await folder.id(), f.fileName)),
          Deno.errors.NotFound,
        );
      } finally {
        await folder.remove();
      }
    });
  },
});

Deno.test({
  name:
    "A classic client that a new server does not know gets 1606, registers again with its old id and backs up",
  ignore: !!missing,
  async fn() {
    const folder = await PeerFolder.create("returning");
    try {
      let oldId = "";
      await withServer(async (server) => {
        const f = file("before.bin", 100, 11);
        assertVerified(await folder.backup(server, f), f.fileName, 1);
        oldId = await folder.id();
      });
      await withServer(async (server) => {
        const f = file("after.bin", 1 * MiB, 12);
        const run = await folder.backup(server, f);
        assertVerified(run, f.fileName, 2);
        assert.match(run.stdout, /^Reconnect rejected \(1606\)/m);
        assert.match(run.stdout, /^Registered as returning /m);
        assert.notEqual(await folder.id(), oldId);
        await assertStored(server, folder, f);
      });
    } finally {
      await folder.remove();
    }
  },
});
