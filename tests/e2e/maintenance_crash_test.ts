/**
 * Maintenance survives SIGKILL: the real server runs its scheduled
 * retention and GC over a synthetic history, is killed in the middle, and
 * the next start (recovery, then the next run, which resumes the cut-off
 * one) ends where an uninterrupted run would have; uploads that dedup
 * against content GC is collecting, killed too, leave every version with
 * a valid object.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ResponseCode } from "../../server/protocol/constants.ts";
import { Database } from "../../server/storage/database.ts";
import { NO_POLICY } from "../../server/storage/sqlite/policies.ts";
import type { ClientPolicy } from "../../server/storage/types.ts";
import { writeSyntheticHistory } from "../history/synthetic.ts";
import { inconsistencies } from "../soak/consistency.ts";
import { readDb } from "../soak/helpers.ts";
import {
  confirmChecksum,
  registerClient,
  sendFrames,
  startServer,
  type TestServer,
  uploadFrames,
  waitUntil,
} from "./harness.ts";

/** Scheduled maintenance every second (the first run a second after start). */
const EVERY_SECOND = ["--maintenance-interval", "1s"];

function setDefaultPolicy(dataDir: string, rules: Partial<ClientPolicy>) {
  const db = Database.open(join(dataDir, "defensive.db"));
  db.policies.set("*", { ...NO_POLICY, ...rules }, new Date().toISOString());
  db.close();
}

interface RunRow {
  RunID: number;
  State: string;
  Removed: number;
  Files: number;
}

function runsOf(dataDir: string, kind: string): RunRow[] {
  return readDb<RunRow>(
    dataDir,
    "SELECT RunID, State, Removed, Files FROM maintenance_runs WHERE Kind = ? ORDER BY RunID",
    kind,
  );
}

function count(dataDir: string, sql: string): number {
  return Number(readDb<{ n: number }>(dataDir, sql)[0].n);
}

/** What is wrong with the store after a restart, `.gc/` (emptied by start-up recovery) included. */
async function problems(dataDir: string): Promise<string[]> {
  const found = await inconsistencies(dataDir);
  try {
    const left = [...Deno.readDirSync(join(dataDir, "received_files", ".gc"))];
    if (left.length) found.push(`${left.length} entries left in .gc`);
  } catch {
    // No .gc: nothing was ever collected.
  }
  return found;
}

/** Polls fast (a run lasts about a second) until `done`. */
async function poll(done: () => boolean, what: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

Deno.test("SIGKILL in the middle of scheduled retention: the next start resumes and ends as one whole run would", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cb-retention-kill-" });
  // 4 clients x 500 names x 40 versions = 80,000 versions; keep the last 2.
  const total = writeSyntheticHistory(dataDir, {
    clients: 4,
    namesPerClient: 500,
    versionsPerName: 40,
    contents: 5000,
    objects: false,
  });
  assert.equal(total, 80_000);
  setDefaultPolicy(dataDir, { keepLast: 2 });
  let server: TestServer = await startServer({ dataDir, args: EVERY_SECOND });
  try {
    await poll(() => {
      const run = runsOf(dataDir, "retention")[0];
      return run?.State === "running" && run.Removed > 0;
    }, "retention to remove something");
    await server.kill();
    const cut = runsOf(dataDir, "retention")[0];
    assert.equal(cut.State, "running");
    assert.ok(cut.Removed < 76_000, `removed ${cut.Removed} before the kill`);
    // Whatever was cut: every name kept its newest version and its files row.
    assert.equal(
      count(dataDir, "SELECT count(*) AS n FROM versions WHERE Number >= 39"),
      4000,
    );
    assert.equal(count(dataDir, "SELECT count(*) AS n FROM files"), 2000);

    server = await startServer({ dataDir, args: EVERY_SECOND });
    await waitUntil(
      () => runsOf(dataDir, "retention").some((r) => r.State === "done"),
      "the resumed retention run",
      30_000,
    );
    const runs = runsOf(dataDir, "retention");
    assert.equal(runs[0].State, "interrupted");
    assert.equal(runs[0].Removed + runs[1].Removed, 76_000);
    assert.equal(count(dataDir, "SELECT count(*) AS n FROM versions"), 4000);
    assert.equal(
      count(dataDir, "SELECT count(*) AS n FROM versions WHERE Number >= 39"),
      4000,
    );
    const audit = readDb<{ Detail: string }>(
      dataDir,
      "SELECT Detail FROM audit_log WHERE Action = 'retention.run'",
    );
    assert.equal(JSON.parse(audit[0].Detail).resumed, true);
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SIGKILL in the middle of GC: start-up recovery and the next run leave exactly the referenced objects", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cb-gc-kill-" });
  // 2,000 versions use contents 0..1999; 12,000 more contents are unreferenced.
  writeSyntheticHistory(dataDir, {
    clients: 2,
    namesPerClient: 100,
    versionsPerName: 10,
    contents: 14_000,
    objects: true,
  });
  let server: TestServer = await startServer({ dataDir, args: EVERY_SECOND });
  try {
    await poll(() => {
      const run = runsOf(dataDir, "gc")[0];
      return run?.State === "running" && run.Removed > 0;
    }, "GC to collect something");
    await server.kill();
    const cut = runsOf(dataDir, "gc")[0];
    assert.equal(cut.State, "running");
    assert.ok(cut.Removed < 12_000, `collected ${cut.Removed} before the kill`);

    server = await startServer({ dataDir, args: EVERY_SECOND });
    await waitUntil(
      () => runsOf(dataDir, "gc").some((r) => r.State === "done"),
      "the next GC run",
      30_000,
    );
    await server.stop();
    assert.deepEqual(await problems(dataDir), []);
    assert.equal(count(dataDir, "SELECT count(*) AS n FROM contents"), 2000);
    let objects = 0;
    const root = join(dataDir, "received_files", ".objects");
    for (const prefix of Deno.readDirSync(root)) {
      objects += [...Deno.readDirSync(join(root, prefix.name))].length;
    }
    assert.equal(objects, 2000);
    assert.equal(runsOf(dataDir, "gc")[0].State, "interrupted");
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SIGKILL while uploads dedup against content GC is collecting leaves every version with a valid object", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cb-dedup-gc-kill-" });
  const encoder = new TextEncoder();
  const X = encoder.encode("the content GC keeps collecting ".repeat(2000));
  let server: TestServer = await startServer({ dataDir, args: EVERY_SECOND });
  setDefaultPolicy(dataDir, { keepLast: 1 });
  try {
    for (let cycle = 0; cycle < 2; cycle++) {
      const client = await registerClient(server.port, `racer-${cycle}`);
      const killAt = Date.now() + 1500 + cycle * 700;
      let uploads = 0;
      // X, then other content over the same name: once retention drops the
      // older version, X is unreferenced and GC collects it, while the next
      // upload of X dedups against it (or stores it again).
      while (Date.now() < killAt) {
        const content = uploads % 2 === 0
          ? X
          : encoder.encode(`filler ${cycle} ${uploads}`);
        const frames = uploadFrames(client, "x.txt", content);
        if (Date.now() > killAt - 50) {
          // The last one is cut off by the kill, mid-upload.
          (async () => {
            for (const frame of frames) await client.raw.write(frame);
          })().catch(() => {});
          await new Promise((r) => setTimeout(r, 20));
          break;
        }
        const received = await sendFrames(client, frames);
        assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
        const acked = await confirmChecksum(client, "x.txt");
        assert.equal(acked?.code, ResponseCode.ACK);
        uploads++;
      }
      await server.kill();
      client.raw.close();
      server = await startServer({ dataDir, args: EVERY_SECOND });
      assert.ok(uploads > 4, `only ${uploads} uploads before the kill`);
      assert.deepEqual(await problems(dataDir), []);
    }
    // GC collected content while the uploads ran.
    assert.ok(runsOf(dataDir, "gc").some((r) => r.Removed > 0));
    await server.stop();
    assert.deepEqual(await problems(dataDir), []);
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
