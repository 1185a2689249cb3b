/** The pure client state function and the watcher's notification decisions. */
import assert from "node:assert/strict";
import { changes } from "../../server/ops/health.ts";
import type { ClientStatus } from "../../server/ops/events.ts";
import {
  type ClientFacts,
  clientState,
  type Expectation,
} from "../../server/ops/state.ts";

const HOUR = 3600_000;
const NOW = Date.parse("2026-11-30T12:00:00Z");
const EXPECT: Expectation = {
  intervalMs: 24 * HOUR,
  failingAfter: 3,
  lockedAfter: 3,
};
const healthy: ClientFacts = {
  lastSuccessAt: NOW - HOUR,
  registeredAt: NOW - 100 * HOUR,
  recentOutcomes: ["verified", "failed"],
  keyFailures: 0,
  overQuota: false,
};

Deno.test("a client that uploaded within its interval is ok", () => {
  assert.equal(clientState(healthy, EXPECT, NOW).state, "ok");
});

Deno.test("a client past its interval is overdue, counted from its last success or its registration", () => {
  const late = { ...healthy, lastSuccessAt: NOW - 25 * HOUR };
  const verdict = clientState(late, EXPECT, NOW);
  assert.equal(verdict.state, "overdue");
  assert.match(verdict.reason, /25 h ago/);
  // A per-client interval of two days keeps it ok.
  assert.equal(
    clientState(late, { ...EXPECT, intervalMs: 48 * HOUR }, NOW).state,
    "ok",
  );
  const never = {
    ...healthy,
    lastSuccessAt: null,
    registeredAt: NOW - 2 * HOUR,
  };
  assert.equal(clientState(never, EXPECT, NOW).state, "ok");
  assert.equal(
    clientState({ ...never, registeredAt: NOW - 30 * HOUR }, EXPECT, NOW).state,
    "overdue",
  );
});

Deno.test("failing needs the last N attempts all failed, not N failures in all", () => {
  const failing = {
    ...healthy,
    recentOutcomes: ["failed", "interrupted", "aborted", "verified"] as const,
  };
  assert.equal(clientState(failing, EXPECT, NOW).state, "failing");
  const mixed = {
    ...healthy,
    recentOutcomes: ["failed", "verified", "failed", "failed"] as const,
  };
  assert.equal(clientState(mixed, EXPECT, NOW).state, "ok");
  const few = { ...healthy, recentOutcomes: ["failed", "failed"] as const };
  assert.equal(clientState(few, EXPECT, NOW).state, "ok");
});

Deno.test("the most urgent state wins: locked over failing over over-quota over overdue", () => {
  const all: ClientFacts = {
    lastSuccessAt: NOW - 100 * HOUR,
    registeredAt: NOW - 200 * HOUR,
    recentOutcomes: ["failed", "failed", "failed"],
    keyFailures: 3,
    overQuota: true,
  };
  assert.equal(clientState(all, EXPECT, NOW).state, "locked");
  assert.equal(
    clientState({ ...all, keyFailures: 2 }, EXPECT, NOW).state,
    "failing",
  );
  assert.equal(
    clientState({ ...all, keyFailures: 0, recentOutcomes: [] }, EXPECT, NOW)
      .state,
    "over_quota",
  );
  assert.equal(
    clientState(
      { ...all, keyFailures: 0, recentOutcomes: [], overQuota: false },
      EXPECT,
      NOW,
    )
      .state,
    "overdue",
  );
});

function status(id: string, state: ClientStatus["state"]): ClientStatus {
  return { id, name: id, state, reason: "r", lastSuccessAt: null, bytes: 0 };
}

Deno.test("changes notifies once per state change and reminds at the re-notify interval", () => {
  const at = (ms: number) => new Date(ms).toISOString();
  // First sight: ok is recorded silently, overdue is notified.
  const first = changes(
    new Map(),
    [status("a", "ok"), status("b", "overdue")],
    NOW,
    HOUR,
  );
  assert.deepEqual(first.map((c) => [c.status.id, c.notify]), [["a", false], [
    "b",
    true,
  ]]);
  const recorded = new Map(first.map((c) => [c.record.id, c.record]));
  // Same states a minute later: nothing.
  assert.deepEqual(
    changes(
      recorded,
      [status("a", "ok"), status("b", "overdue")],
      NOW + 60_000,
      HOUR,
    ),
    [],
  );
  // An hour later: one reminder for b, none for ok a.
  const later = changes(
    recorded,
    [status("a", "ok"), status("b", "overdue")],
    NOW + HOUR,
    HOUR,
  );
  assert.equal(later.length, 1);
  assert.equal(later[0].renotify, true);
  assert.equal(later[0].record.since, at(NOW));
  assert.equal(later[0].record.notifiedAt, at(NOW + HOUR));
  // a fails: one change, with its previous state.
  const change = changes(
    recorded,
    [status("a", "failing"), status("b", "overdue")],
    NOW + 1000,
    HOUR,
  );
  assert.deepEqual(change.map((c) => [c.status.id, c.previous, c.notify]), [[
    "a",
    "ok",
    true,
  ]]);
  // A re-notify interval of 0 never reminds.
  assert.deepEqual(
    changes(recorded, [status("b", "overdue")], NOW + 100 * HOUR, 0),
    [],
  );
});
