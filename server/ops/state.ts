/**
 * Client health: is each client backing up as expected? A pure function of
 * the facts the database holds about a client and the time now, so the
 * dashboard, the client list, the metrics and the watcher all agree, and
 * tests drive every state without a clock.
 * @module
 */
import type { TransferOutcome } from "../storage/types.ts";

/** Every state, the most urgent first (the order of the attention list). */
export const CLIENT_STATES = [
  "locked",
  "failing",
  "over_quota",
  "overdue",
  "ok",
] as const;

/** A client's health. */
export type ClientState = typeof CLIENT_STATES[number];

/** How each state reads in the portal and in notifications. */
export const STATE_LABELS: Record<ClientState, string> = {
  locked: "locked",
  failing: "failing",
  over_quota: "over quota",
  overdue: "overdue",
  ok: "ok",
};

/** What is known of one client, as read from the database. */
export interface ClientFacts {
  /** When its last upload was verified (ms since the epoch); null if never. */
  lastSuccessAt: number | null;
  /** When it registered (ms); overdue counts from here until a first upload. */
  registeredAt: number | null;
  /** Outcomes of its last finished upload attempts, newest first. */
  recentOutcomes: readonly Exclude<TransferOutcome, "in_progress">[];
  /** Uploads that failed to decrypt within the key-failure window. */
  keyFailures: number;
  /** True when it stores more than its quota allows. */
  overQuota: boolean;
}

/** What is expected of a client. */
export interface Expectation {
  /** Longest time between two verified uploads before it is overdue. */
  intervalMs: number;
  /** How many failed attempts in a row make it failing. */
  failingAfter: number;
  /** Key failures in the window that lock it (server/session/key_failures.ts). */
  lockedAfter: number;
}

/** A client's state and why, in one line for people. */
export interface Verdict {
  state: ClientState;
  reason: string;
}

/** Outcomes that count as a failed attempt ("aborted" is the client's own choice too, but no backup came of it). */
const FAILED: ReadonlySet<string> = new Set([
  "failed",
  "aborted",
  "interrupted",
]);

/**
 * The state of a client at `now`. The most urgent state wins: a client
 * that is both overdue and locked is locked, since the lock is the reason
 * and what the administrator must act on.
 */
export function clientState(
  facts: ClientFacts,
  expectation: Expectation,
  now: number,
): Verdict {
  if (facts.keyFailures >= expectation.lockedAfter) {
    return {
      state: "locked",
      reason:
        `${facts.keyFailures} uploads failed to decrypt within 24 h; uploads are refused`,
    };
  }
  const n = expectation.failingAfter;
  const lastN = facts.recentOutcomes.slice(0, n);
  if (n > 0 && lastN.length >= n && lastN.every((o) => FAILED.has(o))) {
    return { state: "failing", reason: `the last ${n} upload attempts failed` };
  }
  if (facts.overQuota) {
    return { state: "over_quota", reason: "stores more than its quota" };
  }
  const since = facts.lastSuccessAt ?? facts.registeredAt;
  if (since !== null && now - since > expectation.intervalMs) {
    return {
      state: "overdue",
      reason: facts.lastSuccessAt === null
        ? `no upload since it registered ${formatAge(now - since)} ago`
        : `last verified upload ${formatAge(now - since)} ago`,
    };
  }
  return { state: "ok", reason: "backing up as expected" };
}

/** True for every state but ok. */
export function needsAttention(state: ClientState): boolean {
  return state !== "ok";
}

/** A duration as people say it: "45 s", "3 min", "5 h", "2 d". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
