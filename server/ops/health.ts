/**
 * Every client's state now, from the database's facts and the settings:
 * what the dashboard, the client list, the metrics and the watcher read.
 * And the watcher's decision of whom to notify: a pure function of the
 * recorded states, the new verdicts and the time.
 * @module
 */
import {
  KEY_FAILURE_LIMIT,
  KEY_FAILURE_WINDOW_MS,
} from "../session/key_failures.ts";
import type {
  ClientFactsRow,
  OpsStorage,
  RecordedState,
} from "../storage/ops_types.ts";
import type { ClientStatus } from "./events.ts";
import type { OpsSettings } from "./settings.ts";
import { CLIENT_STATES, type ClientState, clientState } from "./state.ts";

/**
 * How far back failed attempts count: a client whose last attempts are
 * older than this is judged by its last success (overdue) instead, and the
 * query reads only the recent part of the upload history.
 */
export const ATTEMPTS_WINDOW_MS = 30 * 86_400_000;

/** Tells whether a client (hex id) stores more than its quota allows. */
export type QuotaCheck = (clientId: string) => boolean;

/** A client's status with the facts the pages show next to it. */
export interface ClientHealth extends ClientStatus {
  intervalSeconds: number;
  /** Its own interval, or null when it follows the default. */
  ownInterval: number | null;
}

function ms(iso: string | null): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** The state of one client from its row of facts. Pure. */
export function healthOf(
  row: ClientFactsRow,
  settings: OpsSettings,
  overQuota: boolean,
  now: number,
): ClientHealth {
  const intervalSeconds = row.intervalSeconds ?? settings.intervalSeconds;
  const verdict = clientState({
    lastSuccessAt: ms(row.lastSuccessAt),
    registeredAt: ms(row.registeredAt),
    recentOutcomes: row.recentOutcomes,
    keyFailures: row.keyFailures,
    overQuota,
  }, {
    intervalMs: intervalSeconds * 1000,
    failingAfter: settings.failingAfter,
    lockedAfter: KEY_FAILURE_LIMIT,
  }, now);
  return {
    id: row.id,
    name: row.name,
    ...verdict,
    lastSuccessAt: row.lastSuccessAt,
    bytes: row.bytes,
    intervalSeconds,
    ownInterval: row.intervalSeconds,
  };
}

/**
 * Every client's health (or that of `clientIds`) at `now`, the most urgent
 * first, then by name.
 */
export function allHealth(
  ops: Pick<OpsStorage, "facts">,
  settings: OpsSettings,
  now: number,
  overQuota: QuotaCheck = () => false,
  clientIds?: readonly Uint8Array[],
): ClientHealth[] {
  const keySince = new Date(now - KEY_FAILURE_WINDOW_MS).toISOString();
  const attempts = {
    count: settings.failingAfter,
    since: new Date(now - ATTEMPTS_WINDOW_MS).toISOString(),
  };
  return ops.facts(keySince, attempts, clientIds)
    .map((row) => healthOf(row, settings, overQuota(row.id), now))
    .sort(byUrgency);
}

/** Most urgent state first, then by name. */
export function byUrgency(a: ClientStatus, b: ClientStatus): number {
  return CLIENT_STATES.indexOf(a.state) - CLIENT_STATES.indexOf(b.state) ||
    a.name.localeCompare(b.name);
}

/** How many clients are in each state. */
export function countByState(
  statuses: readonly ClientStatus[],
): Record<ClientState, number> {
  const counts = Object.fromEntries(CLIENT_STATES.map((s) => [s, 0])) as Record<
    ClientState,
    number
  >;
  for (const s of statuses) counts[s.state]++;
  return counts;
}

/** One notification the watcher decided to send, and the state to record. */
export interface Change {
  status: ClientStatus;
  previous: ClientState | null;
  record: RecordedState;
  /** False: record only (a client first seen ok). */
  notify: boolean;
  renotify: boolean;
}

/**
 * What changed since the recorded states: one notification per state
 * change (a client first seen ok is recorded silently), and one reminder
 * per `renotifyMs` while a client stays not ok (0: never). Pure.
 */
export function changes(
  recorded: ReadonlyMap<string, RecordedState>,
  statuses: readonly ClientStatus[],
  now: number,
  renotifyMs: number,
): Change[] {
  const at = new Date(now).toISOString();
  const out: Change[] = [];
  for (const status of statuses) {
    const before = recorded.get(status.id);
    const fresh = (notify: boolean): RecordedState => ({
      id: status.id,
      state: status.state,
      reason: status.reason,
      since: at,
      notifiedAt: notify ? at : null,
    });
    if (!before) {
      const notify = status.state !== "ok";
      out.push({
        status,
        previous: null,
        record: fresh(notify),
        notify,
        renotify: false,
      });
    } else if (before.state !== status.state) {
      out.push({
        status,
        previous: before.state as ClientState,
        record: fresh(true),
        notify: true,
        renotify: false,
      });
    } else if (
      status.state !== "ok" && renotifyMs > 0 &&
      now - Date.parse(before.notifiedAt ?? before.since) >= renotifyMs
    ) {
      out.push({
        status,
        previous: before.state as ClientState,
        record: { ...before, reason: status.reason, notifiedAt: at },
        notify: true,
        renotify: true,
      });
    }
  }
  return out;
}
