/**
 * Backup history over real sockets: a client that re-uploads a name never
 * destroys the earlier version, identical content from several names and
 * clients is stored once, quotas refuse an upload at packet 1 with the
 * reason logged and recorded, and a kill -9 while an upload that
 * deduplicates is committing leaves a consistent store.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { Database } from "../../server/storage/database.ts";
import { NO_POLICY } from "../../server/storage/sqlite/policies.ts";
import { inconsistencies, reconnect } from "../soak/consistency.ts";
import { note, readDb, seededBytes } from "../soak/helpers.ts";
import { Rng } from "../soak/rng.ts";
import {
  clientDir,
  confirmChecksum,
  type KeyedClient,
  registerClient,
  startServer,
  uploadFile,
} from "./harness.ts";
import { blake3, tmpEmptied } from "../history/fixture.ts";

const SEED = 20_261_130;
const encoder = new TextEncoder();

function objectPath(dataDir: string, sha: string): string {
  return join(dataDir, "received_files", ".objects", sha.slice(0, 2), sha);
}

/** Allocated bytes under `path` (what `du` counts), each inode once. */
function allocated(path: string, seen = new Set<number>()): number {
  const info = Deno.lstatSync(path);
  if (seen.has(info.ino!)) return 0;
  seen.add(info.ino!);
  let total = info.blocks! * 512;
  if (info.isDirectory) {
    for (const entry of Deno.readDirSync(path)) {
      total += allocated(join(path, entry.name), seen);
    }
  }
  return total;
}

async function store(client: KeyedClient, name: string, data: Uint8Array) {
  const received = await uploadFile(client, name, data);
  assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
  assert.equal(
    (await confirmChecksum(client, name))?.code,
    ResponseCode.ACK,
  );
}

Deno.test("a client overwriting a name with ransomware output gets a new version; the good one stays intact", async () => {
  const server = await startServer();
  try {
    const alice = await registerClient(server.port, "alice");
    const good = encoder.encode("quarterly figures, the real ones\n");
    const bad = encoder.encode("CORRUPTED BY RANSOMWARE");
    await store(alice, "doc.txt", good);
    await store(alice, "doc.txt", bad);
    alice.raw.close();
    const versions = readDb<{ Number: number; Blake3: string; Size: number }>(
      server.dataDir,
      "SELECT Number, Blake3, Size FROM versions WHERE ClientID = ? AND FileName = ? ORDER BY Number",
      alice.clientId,
      "doc.txt",
    );
    assert.deepEqual(versions.map((v) => ({ ...v })), [
      { Number: 1, Blake3: blake3(good), Size: good.length },
      { Number: 2, Blake3: blake3(bad), Size: bad.length },
    ]);
    assert.deepEqual(
      Deno.readFileSync(objectPath(server.dataDir, blake3(good))),
      good,
    );
    assert.deepEqual(
      Deno.readFileSync(`${clientDir(server, alice.clientId)}/doc.txt`),
      bad,
    );
    assert.deepEqual(await inconsistencies(server.dataDir), []);
  } finally {
    await server.stop();
  }
});

Deno.test("identical content under two names of two clients is stored once: one object, hard links, one file's disk space", async () => {
  const server = await startServer();
  try {
    const alice = await registerClient(server.port, "alice");
    const bob = await registerClient(server.port, "bob");
    const data = seededBytes(SEED, 1024 * 1024);
    const root = join(server.dataDir, "received_files");
    await store(alice, "photo.jpg", data);
    const once = allocated(root);
    await store(alice, "photo copy.jpg", data);
    await store(bob, "holiday.jpg", data);
    alice.raw.close();
    bob.raw.close();
    const object = objectPath(server.dataDir, blake3(data));
    assert.equal(Deno.statSync(object).nlink, 4);
    for (
      const path of [
        `${clientDir(server, alice.clientId)}/photo copy.jpg`,
        `${clientDir(server, bob.clientId)}/holiday.jpg`,
      ]
    ) assert.equal(Deno.statSync(path).ino, Deno.statSync(object).ino);
    await tmpEmptied(root);
    const thrice = allocated(root);
    note(`disk use after one copy ${once} B, after three ${thrice} B`);
    // Two more names cost directory entries, not another MiB.
    assert.ok(thrice - once < 64 * 1024, `${thrice - once} bytes more`);
    assert.deepEqual(await inconsistencies(server.dataDir), []);
  } finally {
    await server.stop();
  }
});

Deno.test("an upload over its client's quota gets 1607 at packet 1, the reason in the log and in its transfer", async () => {
  const server = await startServer();
  try {
    const alice = await registerClient(server.port, "alice");
    await store(alice, "a.bin", seededBytes(SEED, 3000));
    // The administrator sets quotas meanwhile (another connection).
    const db = Database.open(join(server.dataDir, "defensive.db"));
    try {
      db.policies.set("*", { ...NO_POLICY, quotaBytes: 1 << 20 }, "2026Z");
      db.policies.set(
        alice.clientId,
        { ...NO_POLICY, quotaBytes: 5000 },
        "2026Z",
      );
    } finally {
      db.close();
    }
    // 3000 kept + 3000 > 5000: refused before any content is read.
    const refused = await uploadFile(alice, "b.bin", seededBytes(SEED, 3000));
    assert.equal(refused?.code, ResponseCode.SERVER_ERROR);
    await server.waitForOutput(/over quota: 3000 bytes kept \+ 3000/);
    const [transfer] = readDb<{ Outcome: string; Error: string }>(
      server.dataDir,
      "SELECT Outcome, Error FROM transfers WHERE FileName = 'b.bin'",
    );
    assert.equal(transfer.Outcome, "aborted");
    assert.match(transfer.Error, /over quota/);
    // What fits still goes in, on the same connection.
    await store(alice, "c.bin", seededBytes(SEED + 1, 2000));
    alice.raw.close();
    assert.deepEqual(
      readDb<{ FileName: string }>(
        server.dataDir,
        "SELECT FileName FROM versions ORDER BY VersionID",
      ).map((r) => r.FileName),
      ["a.bin", "c.bin"],
    );
  } finally {
    await server.stop();
  }
});

Deno.test("kill -9 while uploads that deduplicate are committing leaves a consistent store", async () => {
  let server = await startServer();
  try {
    const alice = await registerClient(server.port, "alice");
    const data = seededBytes(SEED + 2, 256 * 1024);
    await store(alice, "base.bin", data);
    alice.raw.close();
    const rng = new Rng(SEED);
    let committed = 0;
    for (let round = 0; round < 6; round++) {
      const session = await reconnect(server.port, alice);
      const name = `copy-${round}.bin`;
      const received = await uploadFile(session, name, data);
      assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
      // 1029 on its way, and the process killed around its commit.
      await session.raw.send({
        code: RequestCode.CRC_OK,
        clientId: alice.clientId,
        fileName: name,
      });
      await new Promise((resolve) => setTimeout(resolve, rng.range(0, 4)));
      await server.kill();
      session.raw.close();
      server = await startServer({ dataDir: server.dataDir });
      assert.deepEqual(await inconsistencies(server.dataDir), []);
      const path = `${clientDir(server, alice.clientId)}/${name}`;
      const rows = readDb(
        server.dataDir,
        "SELECT 1 FROM versions WHERE FileName = ?",
        name,
      );
      let exists = true;
      try {
        Deno.statSync(path);
      } catch {
        exists = false;
      }
      assert.equal(exists, rows.length === 1, `${name}: file iff recorded`);
      if (exists) committed++;
    }
    note(`6 kills around a deduplicating commit: ${committed} committed`);
    const object = objectPath(server.dataDir, blake3(data));
    assert.deepEqual(Deno.readFileSync(object), data);
    assert.equal(Deno.statSync(object).nlink, 2 + committed);
    assert.equal(readDb(server.dataDir, "SELECT 1 FROM contents").length, 1);
  } finally {
    await server.stop();
  }
});
