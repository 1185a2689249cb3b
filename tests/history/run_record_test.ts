import assert from "node:assert/strict";
import {
  currentOwner,
  HEARTBEAT_TIMEOUT_MS,
  runIsAlive,
} from "../../server/history/run_record.ts";
import type { RunRecord } from "../../server/storage/maintenance_types.ts";

function run(owner: string, updatedAt: string): RunRecord {
  return {
    id: 1,
    kind: "gc",
    scope: "*",
    actor: "system",
    owner,
    startedAt: updatedAt,
    updatedAt,
    finishedAt: null,
    state: "running",
    cursor: null,
    examined: 0,
    removed: 0,
    files: 0,
    bytes: 0,
    error: null,
  };
}

Deno.test("a run on this host is alive exactly while its process exists, whatever its heartbeat", async () => {
  const old = new Date(Date.now() - 10 * HEARTBEAT_TIMEOUT_MS).toISOString();
  assert.equal(runIsAlive(run(currentOwner(), old)), true);
  const child = new Deno.Command("true").spawn();
  await child.status;
  assert.equal(
    runIsAlive(
      run(`${Deno.hostname()}:${child.pid}`, new Date().toISOString()),
    ),
    false,
  );
});

Deno.test("a run on another host is alive while its heartbeat is recent", () => {
  const now = Date.parse("2026-11-30T12:00:00.000Z");
  const at = (ms: number) => new Date(now - ms).toISOString();
  assert.equal(runIsAlive(run("elsewhere:1", at(1000)), now), true);
  assert.equal(
    runIsAlive(run("elsewhere:1", at(HEARTBEAT_TIMEOUT_MS + 1)), now),
    false,
  );
});
