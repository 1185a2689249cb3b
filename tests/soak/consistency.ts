/**
 * Crash-safety checks shared by tests/e2e/crash_test.ts and the long run
 * tests/soak/crash.ts: what must hold in a data directory after any crash,
 * and clients that upload and verify in a loop while keeping a ledger of
 * what the server acknowledged.
 * @module
 */
import assert from "node:assert/strict";
import { blake3Hex } from "../../server/crypto/blake3.ts";
import { join } from "node:path";
import { cksum } from "../../server/crypto/cksum.ts";
import { decryptKey } from "../../server/crypto/rsa_oaep.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { toHex } from "../../shared/encoding.ts";
import {
  type KeyedClient,
  RawClient,
  sendFrames,
  uploadFrames,
  waitUntil,
} from "../e2e/harness.ts";
import { readDb } from "./helpers.ts";
import type { Rng } from "./rng.ts";

const KiB = 1024;

/** Per client and file: the checksum last acknowledged (1604) and the one whose 1029 is in flight. */
export type Ledger = Map<string, { acked?: number; pending?: number }>;

/** What is wrong with the data directory; empty when it is consistent. */
export async function inconsistencies(dataDir: string): Promise<string[]> {
  const problems: string[] = [];
  const [integrity] = readDb<{ integrity_check: string }>(
    dataDir,
    "PRAGMA integrity_check",
  );
  if (integrity.integrity_check !== "ok") {
    problems.push(`integrity_check: ${integrity.integrity_check}`);
  }
  const orphans = readDb(dataDir, "PRAGMA foreign_key_check");
  if (orphans.length) problems.push(`foreign keys: ${JSON.stringify(orphans)}`);
  const running = readDb<{ n: number }>(
    dataDir,
    "SELECT COUNT(*) AS n FROM transfers WHERE Outcome = 'in_progress'",
  )[0].n;
  if (running) problems.push(`${running} transfers still in progress`);
  const root = join(dataDir, "received_files");
  const tempNames = () =>
    [...Deno.readDirSync(join(root, ".tmp"))].map((e) => e.name);
  // A live server frees a deduplicated upload's own bytes ("drop-") just
  // after the client's answer: those go by themselves.
  await waitUntil(
    () => !tempNames().some((name) => name.startsWith("drop-")),
    "deduplicated uploads to be freed",
  ).catch(() => {});
  const temps = tempNames();
  if (temps.length) problems.push(`temporary files left: ${temps}`);
  const rows = readDb<
    {
      ID: Uint8Array;
      FileName: string;
      Verified: number;
      Size: number;
      Checksum: number;
    }
  >(dataDir, "SELECT ID, FileName, Verified, Size, Checksum FROM files");
  const recorded = new Set<string>();
  for (const row of rows) {
    const path = join(toHex(row.ID), row.FileName);
    recorded.add(path);
    let data: Uint8Array;
    try {
      data = await Deno.readFile(join(root, path));
    } catch {
      problems.push(`${path}: recorded but missing`);
      continue;
    }
    if (row.Verified !== 1) problems.push(`${path}: stored but not verified`);
    if (data.length !== row.Size || cksum(data) !== row.Checksum) {
      problems.push(
        `${path}: ${data.length} bytes, cksum ${
          cksum(data)
        }; recorded ${row.Size} bytes, cksum ${row.Checksum}`,
      );
    }
  }
  problems.push(...historyProblems(dataDir, root));
  for (const folder of Deno.readDirSync(root)) {
    // Not client folders: uploads in flight, the content store, GC's pen.
    if ([".tmp", ".objects", ".gc"].includes(folder.name)) continue;
    for (const file of Deno.readDirSync(join(root, folder.name))) {
      const path = join(folder.name, file.name);
      if (!recorded.has(path)) problems.push(`${path}: stored without record`);
    }
  }
  return problems;
}

/**
 * What is wrong with the backup history (docs/history.md): each files row
 * must be its name's newest kept version and a hard link to that
 * version's object; each version's content must have its row and its
 * object, with the recorded size and BLAKE3. Objects without a row are
 * allowed: a crash between link and commit leaves them for GC.
 */
function historyProblems(dataDir: string, root: string): string[] {
  const problems: string[] = [];
  const object = (sha: string) => join(root, ".objects", sha.slice(0, 2), sha);
  const latest = readDb<
    {
      ID: Uint8Array;
      FileName: string;
      Size: number;
      Checksum: number;
      Blake3: string | null;
    }
  >(
    dataDir,
    `SELECT f.ID, f.FileName, f.Size, f.Checksum,
       (SELECT v.Blake3 FROM versions v WHERE v.ClientID = f.ID
          AND v.FileName = f.FileName AND v.TrashedAt IS NULL
        ORDER BY v.Number DESC LIMIT 1) AS Blake3
     FROM files f`,
  );
  for (const row of latest) {
    const path = join(toHex(row.ID), row.FileName);
    if (row.Blake3 === null) {
      problems.push(`${path}: recorded without a version`);
      continue;
    }
    try {
      if (
        Deno.statSync(join(root, path)).ino !==
          Deno.statSync(object(row.Blake3)).ino
      ) {
        problems.push(`${path}: not a link to its newest version's object`);
      }
    } catch (error) {
      problems.push(`${path}: ${(error as Error).message}`);
    }
  }
  const mismatched = readDb<{ FileName: string; Number: number }>(
    dataDir,
    `SELECT v.FileName, v.Number FROM versions v JOIN files f
       ON f.ID = v.ClientID AND f.FileName = v.FileName
     WHERE v.Number = (SELECT max(Number) FROM versions w WHERE w.ClientID = v.ClientID
                         AND w.FileName = v.FileName AND w.TrashedAt IS NULL)
       AND (v.Size IS NOT f.Size OR v.Checksum IS NOT f.Checksum)`,
  );
  for (const v of mismatched) {
    problems.push(`${v.FileName} v${v.Number}: differs from its files row`);
  }
  const contents = readDb<{ Blake3: string; Size: number; Rows: number }>(
    dataDir,
    `SELECT v.Blake3, c.Size, count(c.Blake3) AS Rows FROM versions v
       LEFT JOIN contents c ON c.Blake3 = v.Blake3 GROUP BY v.Blake3`,
  );
  for (const c of contents) {
    if (c.Rows === 0) {
      problems.push(`content ${c.Blake3}: referenced without a row`);
      continue;
    }
    try {
      const data = Deno.readFileSync(object(c.Blake3));
      const sha = blake3Hex(data);
      if (data.length !== c.Size || sha !== c.Blake3) {
        problems.push(`object ${c.Blake3}: ${data.length} bytes, sha ${sha}`);
      }
    } catch (error) {
      problems.push(`object ${c.Blake3}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** A new session of a registered client (1027). */
export async function reconnect(
  port: number,
  client: KeyedClient,
): Promise<KeyedClient> {
  const raw = await RawClient.connect(port);
  const answer = await raw.request({
    code: RequestCode.RECONNECT,
    clientId: client.clientId,
    name: client.name,
  });
  assert.equal(answer?.code, ResponseCode.RECONNECT_OK);
  if (answer?.code !== ResponseCode.RECONNECT_OK) throw new Error();
  return {
    ...client,
    raw,
    aesKey: decryptKey(client.privateKey, answer.encryptedKey),
  };
}

/** Checksum of the stored, verified copy of `fileName`, per the database. */
export function recordedChecksum(
  dataDir: string,
  clientId: Uint8Array,
  fileName: string,
): number | undefined {
  return readDb<{ Checksum: number }>(
    dataDir,
    "SELECT Checksum FROM files WHERE ID = ? AND FileName = ? AND Verified = 1",
    clientId,
    fileName,
  )[0]?.Checksum;
}

/**
 * Uploads and verifies files in a loop until the connection dies, noting
 * in the ledger what the server acknowledged; returns how many verified.
 */
export async function churn(
  port: number,
  client: KeyedClient,
  options: { rng: Rng; ledger: Ledger },
): Promise<number> {
  const { rng, ledger } = options;
  let verified = 0;
  try {
    const session = await reconnect(port, client);
    for (;;) {
      const name = `churn-${rng.int(3)}.bin`;
      const data = rng.bytes(rng.range(20 * KiB, 400 * KiB));
      const received = await sendFrames(
        session,
        uploadFrames(session, name, data, rng.pick([16 * KiB, 64 * KiB])),
      );
      if (received?.code !== ResponseCode.FILE_RECEIVED) break;
      const key = `${client.name}/${name}`;
      const entry = ledger.get(key) ?? {};
      ledger.set(key, entry);
      entry.pending = cksum(data);
      const ack = await session.raw.request({
        code: RequestCode.CRC_OK,
        clientId: client.clientId,
        fileName: name,
      });
      if (ack?.code !== ResponseCode.ACK) break;
      entry.acked = entry.pending;
      entry.pending = undefined;
      verified++;
    }
  } catch {
    // The server died under us: that is the point.
  }
  return verified;
}

/**
 * After a restart: every file's recorded copy is the last one acknowledged
 * or the one whose 1029 was in flight; returns the problems and settles
 * the ledger to what the server kept.
 */
export function checkLedger(
  dataDir: string,
  clients: KeyedClient[],
  ledger: Ledger,
): string[] {
  const problems: string[] = [];
  for (const [key, entry] of ledger) {
    const [name, file] = key.split("/");
    const client = clients.find((c) => c.name === name)!;
    const sum = recordedChecksum(dataDir, client.clientId, file);
    const allowed: (number | undefined)[] = [entry.acked];
    if (entry.pending !== undefined) allowed.push(entry.pending);
    if (!allowed.includes(sum)) {
      problems.push(
        `${key}: recorded ${sum}, acknowledged ${entry.acked}, in flight ${entry.pending}`,
      );
    }
    if (sum === entry.pending) entry.acked = entry.pending;
    entry.pending = undefined;
  }
  return problems;
}
