/**
 * Live statistics of the server: folds the core's {@link ServerEvent}s into
 * counters that the portal shows and streams. Runs on the main thread; every
 * method is cheap and synchronous.
 *
 * Bytes received are the growth of `transfer-progress` (cumulative bytes of
 * one transfer), so throughput needs no event of its own.
 * @module
 */
import type { TransferRow } from "../storage/types.ts";
import { formatBytes } from "../../shared/format.ts";
import { dialectLabel } from "../session/dialect.ts";
import type { ServerEvent } from "./events.ts";
import type {
  ActiveTransfer,
  ActivityItem,
  StatsSnapshot,
} from "./snapshot.ts";
import { ThroughputRing } from "./throughput.ts";

export type {
  ActiveTransfer,
  ActivityItem,
  StatsSnapshot,
} from "./snapshot.ts";

/** Counts that live in the database: read from it, never counted from events. */
export interface StoredCounts {
  registeredClients: number;
  verifiedFiles: number;
}

/** How to build a {@link Stats}. */
export interface StatsOptions {
  /** The current connection limit (it can change at run time). */
  maxConnections: () => number;
  /**
   * Reads the counts from the database. They are re-read after an event
   * that may change them rather than counted, since a verified re-upload of
   * a stored name replaces a file instead of adding one. Without it the
   * counts change only through {@link Stats.resync}.
   */
  stored?: () => StoredCounts;
  /**
   * Uploads recorded before this start, newest first, so the activity feed
   * begins with them rather than empty after a restart.
   */
  recent?: readonly TransferRow[];
  /** Clock, for tests. */
  now?: () => number;
  /** Seconds of throughput history; 300 by default. */
  historySeconds?: number;
  /** Length of the activity feed; 50 by default. */
  activityLength?: number;
}

const HISTORY_SECONDS = 300;
const ACTIVITY_LENGTH = 50;

/**
 * Live statistics with change notification.
 *
 * @example
 * ```ts
 * const stats = new Stats({ maxConnections: () => 100 });
 * stats.apply({ type: "connect", conn: "1", remote: "127.0.0.1:5000" });
 * stats.snapshot().connections.active; // 1
 * ```
 */
export class Stats {
  readonly #now: () => number;
  readonly #maxConnections: () => number;
  readonly #startedAt: number;
  readonly #connections = new Set<string>();
  readonly #transfers = new Map<string, ActiveTransfer>();
  readonly #throughput: ThroughputRing;
  readonly #activity: ActivityItem[] = [];
  readonly #activityLength: number;
  readonly #errors = new Map<number, number>();
  readonly #uploadDialects = new Map<string, number>();
  readonly #listeners = new Set<() => void>();
  #activityId = 0;
  #peak = 0;
  #connectionsTotal = 0;
  #refused = 0;
  readonly #stored?: () => StoredCounts;
  #counts: StoredCounts = { registeredClients: 0, verifiedFiles: 0 };
  /** An event may have changed the database-backed counts since they were read. */
  #countsStale: boolean;
  #bytesReceived = 0;
  #started = 0;
  #outcomes = { verified: 0, failed: 0, aborted: 0 };

  constructor(options: StatsOptions) {
    this.#now = options.now ?? Date.now;
    this.#maxConnections = options.maxConnections;
    this.#startedAt = this.#now();
    this.#throughput = new ThroughputRing(
      options.historySeconds ?? HISTORY_SECONDS,
      this.#startedAt,
    );
    this.#activityLength = options.activityLength ?? ACTIVITY_LENGTH;
    this.#stored = options.stored;
    this.#countsStale = this.#stored !== undefined;
    for (const row of [...options.recent ?? []].reverse()) this.#logPast(row);
  }

  /** Folds one event from the core into the statistics and notifies subscribers. */
  apply(event: ServerEvent): void {
    const now = this.#now();
    switch (event.type) {
      case "connect":
        this.#connections.add(event.conn);
        this.#connectionsTotal++;
        this.#peak = Math.max(this.#peak, this.#connections.size);
        break;
      case "disconnect":
        this.#connections.delete(event.conn);
        break;
      case "refused":
        this.#refused++;
        this.#log(now, "refused", `Refused ${event.remote}: ${event.reason}`);
        break;
      case "registered":
        this.#countsStale = this.#stored !== undefined;
        this.#log(now, "registered", `${event.name} registered`);
        break;
      case "key-exchanged":
        this.#log(
          now,
          event.reconnect ? "reconnected" : "key",
          event.reconnect
            ? `${event.name} reconnected`
            : `${event.name} sent its public key`,
        );
        break;
      case "transfer-start":
        this.#started++;
        this.#transfers.set(event.transfer, {
          transfer: event.transfer,
          client: event.client,
          name: event.name,
          file: event.file,
          bytes: 0,
          total: event.total,
          attempt: event.attempt,
          startedAt: now,
        });
        break;
      case "transfer-progress": {
        const active = this.#transfers.get(event.transfer);
        if (!active) break;
        const delta = event.bytes - active.bytes;
        active.bytes = event.bytes;
        if (delta > 0) this.#count(delta, now);
        break;
      }
      case "transfer-end":
        this.#endTransfer(event, now);
        break;
      case "upload-received": {
        const key = dialectLabel(event);
        this.#uploadDialects.set(key, (this.#uploadDialects.get(key) ?? 0) + 1);
        break;
      }
      case "error":
        this.#errors.set(
          event.response,
          (this.#errors.get(event.response) ?? 0) + 1,
        );
        this.#log(now, "error", `Error ${event.response}: ${event.message}`);
        break;
    }
    this.#notify();
  }

  /** Replaces the database-backed counts, e.g. after an administrator deleted a client. */
  resync(counts: StoredCounts): void {
    const same = !this.#countsStale &&
      counts.registeredClients === this.#counts.registeredClients &&
      counts.verifiedFiles === this.#counts.verifiedFiles;
    this.#counts = { ...counts };
    this.#countsStale = false;
    if (!same) this.#notify();
  }

  /** A JSON-ready copy of every live figure. */
  snapshot(): StatsSnapshot {
    const now = this.#now();
    const max = this.#maxConnections();
    const active = this.#connections.size;
    const counts = this.#readCounts();
    return {
      time: now,
      startedAt: this.#startedAt,
      uptimeMs: now - this.#startedAt,
      connections: {
        active,
        max,
        available: Math.max(0, max - active),
        peak: this.#peak,
        total: this.#connectionsTotal,
        refused: this.#refused,
      },
      registeredClients: counts.registeredClients,
      verifiedFiles: counts.verifiedFiles,
      bytesReceived: this.#bytesReceived,
      transfers: {
        active: [...this.#transfers.values()].map((t) => ({ ...t })),
        started: this.#started,
        ...this.#outcomes,
      },
      throughput: this.#throughput.history(now),
      activity: this.#activity.slice(),
      errors: Object.fromEntries(
        [...this.#errors].map(([code, n]) => [String(code), n]),
      ),
      uploadDialects: Object.fromEntries(this.#uploadDialects),
    };
  }

  /**
   * Calls `listener` after every change; returns the function that stops it.
   * Listeners run synchronously inside {@link apply}, so they must be cheap
   * (schedule work, do not do it).
   */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #endTransfer(
    event: Extract<ServerEvent, { type: "transfer-end" }>,
    now: number,
  ): void {
    const active = this.#transfers.get(event.transfer);
    this.#transfers.delete(event.transfer);
    this.#outcomes[event.outcome]++;
    if (event.outcome === "verified") {
      this.#countsStale = this.#stored !== undefined;
    }
    this.#log(
      now,
      event.outcome,
      transferText({
        who: active?.name ?? event.client.slice(0, 8),
        file: event.file,
        outcome: event.outcome,
        bytes: event.bytes,
        ms: active ? now - active.startedAt : undefined,
      }),
    );
  }

  /** Logs an upload that the database recorded before this start. */
  #logPast(row: TransferRow): void {
    if (!row.finishedAt || row.outcome === "in_progress") return;
    const time = Date.parse(row.finishedAt);
    const kind = row.outcome === "verified" || row.outcome === "failed"
      ? row.outcome
      : "aborted";
    this.#log(
      time,
      kind,
      transferText({
        who: row.clientName ?? row.clientId.slice(0, 8),
        file: row.fileName,
        outcome: row.outcome,
        bytes: row.bytes,
        ms: time - Date.parse(row.startedAt),
      }),
    );
  }

  #readCounts(): StoredCounts {
    if (this.#countsStale && this.#stored) {
      try {
        this.#counts = this.#stored();
        this.#countsStale = false;
      } catch {
        // A database that cannot answer now (locked, failing disk) must not
        // take the live figures down: show the last counts, read next time.
      }
    }
    return this.#counts;
  }

  #count(bytes: number, now: number): void {
    this.#bytesReceived += bytes;
    this.#throughput.add(bytes, now);
  }

  #log(time: number, kind: ActivityItem["kind"], text: string): void {
    this.#activity.unshift({ id: ++this.#activityId, time, kind, text });
    if (this.#activity.length > this.#activityLength) {
      this.#activity.length = this.#activityLength;
    }
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** "alice: report.pdf verified (1.50 MiB sent in 2.0 s)"; the bytes sent are encrypted. */
function transferText(t: {
  who: string;
  file: string;
  outcome: string;
  bytes: number;
  ms: number | undefined;
}): string {
  if (t.outcome !== "verified") return `${t.who}: ${t.file} ${t.outcome}`;
  const took = t.ms === undefined ? "" : ` in ${(t.ms / 1000).toFixed(1)} s`;
  return `${t.who}: ${t.file} verified (${formatBytes(t.bytes)} sent${took})`;
}
