/**
 * The operations side of the storage layer: what the state watcher,
 * notifications and charts read and keep (server/ops/).
 * @module
 */
import type { TransferOutcome } from "./types.ts";

/** What the database knows of one client, for its health (server/ops/state.ts). */
export interface ClientFactsRow {
  /** Lower-case hex id. */
  id: string;
  name: string;
  registeredAt: string | null;
  lastSuccessAt: string | null;
  /** Newest first, at most the number asked for. */
  recentOutcomes: Exclude<TransferOutcome, "in_progress">[];
  keyFailures: number;
  /** Plaintext bytes of its verified files. */
  bytes: number;
  /** Its own expected backup interval; null: the global default. */
  intervalSeconds: number | null;
}

/** The last state the watcher recorded (and notified) for a client. */
export interface RecordedState {
  id: string;
  state: string;
  reason: string;
  /** When the client entered this state (ISO-8601). */
  since: string;
  /** When someone was last told about it; null when nobody was. */
  notifiedAt: string | null;
}

/** One notification sent, or tried, over one channel. */
export interface DeliveryRow {
  id: number;
  at: string;
  channel: "webhook" | "email";
  event: string;
  target: string;
  status: "delivered" | "failed";
  attempts: number;
  /** The last HTTP status or SMTP reply, or the error. */
  detail: string;
}

/** Uploads per day by outcome, for the charts. */
export interface DailyOutcomes {
  /** YYYY-MM-DD (UTC). */
  day: string;
  verified: number;
  failed: number;
}

/** Stored bytes of one client on one day. */
export interface DailyBytes {
  day: string;
  id: string;
  name: string;
  bytes: number;
}

/** Bytes of finished uploads in one hour (YYYY-MM-DDTHH, UTC). */
export interface HourlyBytes {
  hour: string;
  bytes: number;
}

/** The database side of server/ops/. */
export interface OpsStorage {
  /**
   * Facts of every client, or of `clientIds` only; `keySince` starts the
   * key-failure window; recentOutcomes holds at most `attempts.count`
   * attempts started since `attempts.since`.
   */
  facts(
    keySince: string,
    attempts: { count: number; since: string },
    clientIds?: readonly Uint8Array[],
  ): ClientFactsRow[];
  /** Sets (seconds) or clears (null) a client's own backup interval; false when no such client. */
  setInterval(clientId: Uint8Array, seconds: number | null): boolean;
  /** Every recorded state. */
  states(): RecordedState[];
  /** Records a client's state (a new one, or the re-notification time of the same). */
  saveState(state: RecordedState): void;
  /** Forgets the recorded states of clients that no longer exist. */
  pruneStates(): void;
  /** Every stored setting (the `settings` table). */
  settings(): Record<string, string>;
  /** Writes settings; an empty string removes one. */
  saveSettings(values: Record<string, string>): void;
  /** Logs a delivery; returns its id. */
  recordDelivery(row: Omit<DeliveryRow, "id">): number;
  /** The newest deliveries first. */
  deliveries(limit: number): DeliveryRow[];
  /** Records today's stored bytes of every client (once per day keeps the last figure). */
  recordDailyBytes(day: string): void;
  /**
   * Stored bytes per day since `sinceDay` of the `top` largest clients (by
   * their latest figure), and of all others summed, with the id "" and the
   * name "<n> others".
   */
  dailyBytes(sinceDay: string, top: number): DailyBytes[];
  /** Verified and failed uploads per day since `since` (ISO-8601). */
  dailyOutcomes(since: string): DailyOutcomes[];
  /** Bytes of finished uploads per hour since `since`. */
  hourlyBytes(since: string): HourlyBytes[];
}
