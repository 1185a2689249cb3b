/**
 * The retention planner: which versions of one name a policy keeps, and why.
 * Pure (no I/O, no clock): the run over the store (`retention_run.ts`), its
 * preview, the portal's preview table and the tests all call this one
 * function, so what a preview shows is what a run does.
 *
 * Semantics are restic's `forget` (internal/restic/snapshot_policy.go):
 * versions are walked newest first; keep-last N keeps the N newest; each
 * keep-hourly/daily/weekly/monthly/yearly N rule keeps the newest version of
 * each of the N most recent periods that have a version, plus the oldest
 * version while the rule still has periods left; keep-within D keeps every
 * version stored less than D before the NEWEST version (not before now, so
 * a client that stopped backing up keeps its last D of history). A policy
 * with no rule keeps everything. Two additions: a pinned version is always
 * kept (like restic's keep-tag), and the newest version of a name is always
 * kept, whatever the policy says.
 *
 * Periods are in UTC (restic uses the snapshot's local time): the server's
 * time zone is not the clients', and UTC makes a plan the same on every
 * machine. Weeks are ISO-8601 weeks (Monday first).
 * @module
 */
import type { ClientPolicy } from "../storage/types.ts";

/** The retention rules of a policy (its quota fields play no part here). */
export type RetentionRules = Pick<
  ClientPolicy,
  | "keepLast"
  | "keepHourly"
  | "keepDaily"
  | "keepWeekly"
  | "keepMonthly"
  | "keepYearly"
  | "keepWithinSeconds"
>;

/** What the planner reads of a version. */
export interface PlannableVersion {
  /** ISO-8601 UTC. */
  storedAt: string;
  pinned: boolean;
}

/** The verdict on one version. */
export interface Verdict<V> {
  version: V;
  keep: boolean;
  /** Why it is kept, e.g. "last 3", "daily 2026-11-29", "within 30d"; empty when removed. */
  reasons: string[];
}

/** The period rules, finest first: the policy field of each and how it names a version's period. */
const PERIOD_RULES = [
  { rule: "hourly", field: "keepHourly", period: hourOf },
  { rule: "daily", field: "keepDaily", period: dayOf },
  { rule: "weekly", field: "keepWeekly", period: isoWeekOf },
  { rule: "monthly", field: "keepMonthly", period: monthOf },
  { rule: "yearly", field: "keepYearly", period: yearOf },
] as const;

/** One period rule: its count and how it names a version's period. */
interface Bucket {
  rule: typeof PERIOD_RULES[number]["rule"];
  left: number;
  last: string | undefined;
  period: (at: Date) => string;
}

/** True when the rules keep nothing in particular: restic then keeps everything. */
export function isEmptyPolicy(rules: RetentionRules): boolean {
  const counts = [
    rules.keepLast,
    rules.keepWithinSeconds,
    ...PERIOD_RULES.map((r) => rules[r.field]),
  ];
  return !counts.some((n) => (n ?? 0) > 0);
}

/**
 * Decides, for each version of ONE name, whether `rules` keep it.
 *
 * @param versions every kept (untrashed) version of the name, oldest first
 *   (by version number).
 * @returns one verdict per version, in the same order.
 * @example
 * ```ts
 * planRetention(versions, { ...NO_RULES, keepLast: 3 })
 *   .filter((v) => !v.keep); // all but the 3 newest
 * ```
 */
export function planRetention<V extends PlannableVersion>(
  versions: readonly V[],
  rules: RetentionRules,
): Verdict<V>[] {
  const verdicts = versions.map((version) => ({
    version,
    keep: false,
    reasons: [] as string[],
  }));
  if (verdicts.length === 0) return verdicts;
  const newest = verdicts[verdicts.length - 1];
  if (isEmptyPolicy(rules)) {
    for (const v of verdicts) v.reasons.push("policy is empty");
    for (const v of verdicts) v.keep = true;
    return verdicts;
  }

  const times = versions.map((v) => timeOf(v.storedAt));
  // A loop, not Math.max(...times): a name can have more versions than a
  // call can take arguments.
  const newestTime = times.reduce((a, b) => Math.max(a, b), -Infinity);
  let lastLeft = rules.keepLast ?? 0;
  const buckets: Bucket[] = PERIOD_RULES.map(({ rule, field, period }) => ({
    rule,
    left: rules[field] ?? 0,
    last: undefined,
    period,
  }));
  const within = rules.keepWithinSeconds ?? 0;

  for (let i = verdicts.length - 1; i >= 0; i--) {
    const verdict = verdicts[i];
    const oldest = i === 0;
    const reasons = verdict.reasons;
    if (verdict === newest) reasons.push("newest");
    if (verdict.version.pinned) reasons.push("pinned");
    // restic: kept when strictly after (newest - duration).
    if (within > 0 && times[i] > newestTime - within * 1000) {
      reasons.push(`within ${formatSeconds(within)}`);
    }
    if (lastLeft > 0) {
      lastLeft--;
      reasons.push(`last ${rules.keepLast}`);
    }
    const at = new Date(times[i]);
    for (const bucket of buckets) {
      if (bucket.left <= 0) continue;
      const period = bucket.period(at);
      // restic keeps the oldest version too while a rule has periods left,
      // so a short history is kept as long as possible.
      if (period !== bucket.last || oldest) {
        reasons.push(
          period === bucket.last
            ? `oldest ${bucket.rule}`
            : `${bucket.rule} ${period}`,
        );
        bucket.last = period;
        bucket.left--;
      }
    }
    verdict.keep = reasons.length > 0;
  }
  return verdicts;
}

/** Milliseconds since the epoch of an ISO-8601 time; throws on garbage. */
function timeOf(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) {
    throw new RangeError(`Cannot plan retention: "${iso}" is not a time`);
  }
  return ms;
}

function hourOf(at: Date): string {
  return at.toISOString().slice(0, 13);
}

function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

function yearOf(at: Date): string {
  return at.toISOString().slice(0, 4);
}

/** ISO-8601 week, "2026-W48": the week (Monday first) holding the year's first Thursday is week 1. */
export function isoWeekOf(at: Date): string {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  const weekday = (at.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(day + (3 - weekday) * 86400_000);
  const year = thursday.getUTCFullYear();
  const week = 1 +
    Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86400_000));
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** 2592000 -> "30d", 7200 -> "2h", 90 -> "90s": the largest whole unit. */
export function formatSeconds(seconds: number): string {
  for (const [unit, size] of DURATION_UNITS) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** Units of keep-within, largest first (a year is 365 days, a month is not offered: it has no fixed length). */
export const DURATION_UNITS: readonly (readonly [string, number])[] = [
  ["y", 365 * 86400],
  ["w", 7 * 86400],
  ["d", 86400],
  ["h", 3600],
  ["m", 60],
  ["s", 1],
];
