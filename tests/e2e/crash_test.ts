/**
 * Crash safety: the server process is killed (SIGKILL) at several points of
 * uploads and restarted on the same data directory. Nothing partial appears
 * under a final name, the database opens consistent, earlier verified
 * copies stay intact and verified, interrupted uploads are recorded as
 * 'interrupted', temporary files are gone, and every 1029 the server
 * acknowledged survives.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cksum } from "../../server/crypto/cksum.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import {
  checkLedger,
  churn,
  inconsistencies,
  type Ledger,
  reconnect as reconnectOn,
  recordedChecksum,
} from "../soak/consistency.ts";
import {
  backUpWithClient,
  note,
  readDb,
  seededBytes,
  waitFor,
} from "../soak/helpers.ts";
import { Rng } from "../soak/rng.ts";
import {
  clientDir,
  confirmChecksum,
  type KeyedClient,
  registerClient,
  sendFrames,
  startServer,
  type TestServer,
  uploadFrames,
} from "./harness.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

const SEED = 20_260_612;
const KiB = 1024;

function reconnect(server: TestServer, client: KeyedClient) {
  return reconnectOn(server.port, client);
}

/** Size of the largest temporary upload file, 0 when there is none. */
function tempBytes(server: TestServer): number {
  let largest = 0;
  for (
    const entry of Deno.readDirSync(
      join(server.dataDir, "received_files", ".tmp"),
    )
  ) {
    const info = Deno.statSync(
      join(server.dataDir, "received_files", ".tmp", entry.name),
    );
    largest = Math.max(largest, info.size);
  }
  return largest;
}

function lastTransfer(server: TestServer, fileName: string): string {
  const rows = readDb<{ Outcome: string }>(
    server.dataDir,
    "SELECT Outcome FROM transfers WHERE FileName = ? ORDER BY TransferID DESC LIMIT 1",
    fileName,
  );
  return rows[0]?.Outcome ?? "none";
}

Deno.test("SIGKILL at six points of uploads loses no verified copy, leaves nothing partial, and marks the upload interrupted", async () => {
  let server = await startServer();
  const restart = async () => {
    await server.kill();
    server = await startServer({ dataDir: server.dataDir });
    assert.deepEqual(await inconsistencies(server.dataDir), []);
  };
  try {
    const alice = await registerClient(server.port, "alice");
    const v1 = seededBytes(SEED, 600 * KiB);
    const first = await sendFrames(alice, uploadFrames(alice, "db.bak", v1));
    assert.equal(first?.code, ResponseCode.FILE_RECEIVED);
    const acked = await confirmChecksum(alice, "db.bak");
    assert.equal(acked?.code, ResponseCode.ACK);
    alice.raw.close();
    const stored = () =>
      Deno.readFile(`${clientDir(server, alice.clientId)}/db.bak`);
    const v1Intact = async () => {
      assertBytesEqual(await stored(), v1);
      assert.equal(
        recordedChecksum(server.dataDir, alice.clientId, "db.bak"),
        cksum(v1),
      );
    };

    // 1. Between packets of a replacement, after some of it reached the disk.
    let session = await reconnect(server, alice);
    const v2 = seededBytes(SEED + 2, 2048 * KiB);
    const frames = uploadFrames(session, "db.bak", v2);
    for (const frame of frames.slice(0, 20)) await session.raw.write(frame);
    await waitFor("part of the upload on disk", () => tempBytes(server) > 0);
    await restart();
    await v1Intact();
    assert.equal(lastTransfer(server, "db.bak"), "interrupted");

    // 2. In the middle of one packet's bytes.
    session = await reconnect(server, alice);
    const again = uploadFrames(session, "db.bak", v2);
    for (const frame of again.slice(0, 10)) await session.raw.write(frame);
    await session.raw.write(again[10].subarray(0, 30_000));
    await waitFor("part of the upload on disk", () => tempBytes(server) > 0);
    await restart();
    await v1Intact();
    assert.equal(lastTransfer(server, "db.bak"), "interrupted");

    // 3. Received whole and decrypted, waiting for the client's 1029.
    session = await reconnect(server, alice);
    const whole = await sendFrames(
      session,
      uploadFrames(session, "db.bak", v2),
    );
    assert.equal(whole?.code, ResponseCode.FILE_RECEIVED);
    await restart();
    await v1Intact();
    assert.equal(lastTransfer(server, "db.bak"), "interrupted");

    // 4. A file never stored before, half sent.
    session = await reconnect(server, alice);
    const fresh = uploadFrames(
      session,
      "new.iso",
      seededBytes(SEED + 4, 1024 * KiB),
    );
    for (const frame of fresh.slice(0, 10)) await session.raw.write(frame);
    await waitFor("part of the upload on disk", () => tempBytes(server) > 0);
    await restart();
    await assert.rejects(
      () => Deno.stat(`${clientDir(server, alice.clientId)}/new.iso`),
      Deno.errors.NotFound,
    );
    assert.equal(lastTransfer(server, "new.iso"), "interrupted");
    await v1Intact();

    // 5. 1029 on its way: either the old or the new copy, never a mix.
    session = await reconnect(server, alice);
    const v3 = seededBytes(SEED + 5, 300 * KiB);
    const third = await sendFrames(
      session,
      uploadFrames(session, "db.bak", v3),
    );
    assert.equal(third?.code, ResponseCode.FILE_RECEIVED);
    await session.raw.send({
      code: RequestCode.CRC_OK,
      clientId: alice.clientId,
      fileName: "db.bak",
    });
    await restart();
    const now = await stored();
    const committed = now.length === v3.length;
    assert.deepEqual(now, committed ? v3 : v1);
    assert.equal(
      recordedChecksum(server.dataDir, alice.clientId, "db.bak"),
      cksum(committed ? v3 : v1),
    );
    note(
      `a kill right after sending 1029 found the ${
        committed ? "new" : "old"
      } copy`,
    );

    // 6. Seeded random moments while three clients upload and verify.
    const rng = new Rng(SEED);
    const clients = [
      alice,
      await registerClient(server.port, "bob"),
      await registerClient(server.port, "carol"),
    ];
    for (const c of clients.slice(1)) c.raw.close();
    const ledger: Ledger = new Map();
    for (let round = 0; round < 3; round++) {
      const running = clients.map((c) =>
        churn(server.port, c, { rng: rng.fork(), ledger })
      );
      const delay = rng.range(150, 700);
      await new Promise((resolve) => setTimeout(resolve, delay));
      await restart();
      const verified = (await Promise.all(running)).reduce((a, b) => a + b);
      note(
        `round ${
          round + 1
        }: killed after ${delay} ms, ${verified} uploads verified before`,
      );
      assert.deepEqual(checkLedger(server.dataDir, clients, ledger), []);
    }
    const outcomes = readDb<{ Outcome: string; n: number }>(
      server.dataDir,
      "SELECT Outcome, COUNT(*) AS n FROM transfers GROUP BY Outcome ORDER BY Outcome",
    );
    note(
      `transfers by outcome: ${
        outcomes.map((o) => `${o.Outcome} ${o.n}`).join(", ")
      }`,
    );
    assert.ok(outcomes.some((o) => o.Outcome === "interrupted"));

    // The restarted server still serves a real client, and alice reconnects.
    await backUpWithClient(server, {
      user: "after-the-crashes",
      fileName: "tax.pdf",
      data: seededBytes(SEED + 9, 200 * KiB),
    });
    (await reconnect(server, alice)).raw.close();
  } finally {
    await server.stop();
  }
});
