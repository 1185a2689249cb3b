/**
 * The state watcher, in the server's main thread: re-evaluates every
 * client's state on a timer and soon after session events (an upload
 * ended, a client registered), notifies each change once (and reminds at
 * the re-notify interval), watches the free-space watermark, records the
 * daily storage figures for the charts, and sends the daily summary.
 * The clock is injectable; the server runs it on the real clock with the
 * tick of `--ops-interval` (docs/operations.md, "Time in tests").
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ServerEvent } from "../stats/events.ts";
import type { OpsStorage } from "../storage/ops_types.ts";
import type { OpsEvent } from "./events.ts";
import {
  allHealth,
  changes,
  type ClientHealth,
  countByState,
  type QuotaCheck,
} from "./health.ts";
import type { OpsSettings } from "./settings.ts";

const logger = getLogger(["cyberbackup", "ops"]);

/** Settings key of the last day a summary went out. */
const SUMMARY_SENT = "summary.sent_day";

/** How often the day's storage figures are refreshed. */
const DAILY_BYTES_EVERY_MS = 15 * 60_000;

function dayOf(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : "";
}

/** Session events after which states may have changed. */
const RELEVANT: ReadonlySet<ServerEvent["type"]> = new Set([
  "transfer-end",
  "registered",
  "key-exchanged",
]);

/** What the watcher needs. */
export interface WatcherOptions {
  ops: OpsStorage;
  /** Runs the writes of one evaluation as one transaction (`db.transaction`). */
  transaction: <T>(fn: () => T) => T;
  /** Total stored bytes, for the summary. */
  storedBytes: () => number;
  notify: (event: OpsEvent) => unknown;
  settings: () => OpsSettings;
  /** Time between evaluations on the timer. */
  tickMs: number;
  /** Wait after a session event before evaluating (events come in bursts); default min(tick, 5 s). */
  debounceMs?: number;
  now?: () => number;
  /** Free bytes on the data disk and the watermark below which uploads stop. */
  disk?: { free: () => number; watermark: number };
  overQuota?: QuotaCheck;
}

/** Re-evaluates client states and notifies changes. */
export class StateWatcher {
  readonly #o: WatcherOptions;
  #timer?: ReturnType<typeof setInterval>;
  #soon?: ReturnType<typeof setTimeout>;
  #diskLow = false;
  #latest?: ClientHealth[];
  /** When today's storage figures were last recorded. */
  #bytesAt = -Infinity;

  constructor(options: WatcherOptions) {
    this.#o = options;
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  /** Evaluates now and then every tick. */
  start(): void {
    this.#safeEvaluate();
    this.#timer = setInterval(() => this.#safeEvaluate(), this.#o.tickMs);
    Deno.unrefTimer(this.#timer);
  }

  stop(): void {
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
  }

  /**
   * Every client's health at the last evaluation, the most urgent first
   * (what the pages show: an evaluation reads every client's files and
   * recent transfers, too much for each request with thousands of clients);
   * undefined before the first.
   */
  latest(): readonly ClientHealth[] | undefined {
    return this.#latest;
  }

  /**
   * Feeds a session event: an evaluation follows after the debounce (by
   * default the tick, at most 5 s), however many events come meanwhile.
   */
  onEvent(event: ServerEvent): void {
    if (!RELEVANT.has(event.type) || this.#soon !== undefined) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.#safeEvaluate();
    }, this.#o.debounceMs ?? Math.min(this.#o.tickMs, 5000));
  }

  #safeEvaluate(): void {
    try {
      this.evaluate();
    } catch (error) {
      logger.error("Cannot evaluate client states: {error}", { error });
    }
  }

  /**
   * One evaluation: records and notifies state changes, checks the disk,
   * records today's storage, sends the summary when due. Returns every
   * client's health.
   */
  evaluate(): ClientHealth[] {
    const now = this.#now();
    const settings = this.#o.settings();
    const { ops } = this.#o;
    ops.pruneStates();
    const health = allHealth(ops, settings, now, this.#o.overQuota);
    this.#latest = health;
    const recorded = new Map(ops.states().map((s) => [s.id, s]));
    const found = changes(
      recorded,
      health,
      now,
      settings.renotifySeconds * 1000,
    );
    // One commit for all: a first evaluation records every client.
    this.#o.transaction(() => {
      for (const change of found) ops.saveState(change.record);
    });
    for (const change of found) {
      if (!change.notify) continue;
      logger.info("Client {name} is {state}: {reason}", {
        name: change.status.name,
        state: change.status.state,
        reason: change.status.reason,
        renotify: change.renotify,
      });
      this.#o.notify({
        type: "client.state",
        client: { id: change.status.id, name: change.status.name },
        state: change.status.state,
        previous: change.previous,
        reason: change.status.reason,
        since: change.record.since,
        renotify: change.renotify,
      });
    }
    this.#checkDisk();
    const day = dayOf(now);
    // The day's last figure is what the chart shows: a quarter-hourly refresh
    // keeps it close without summing every file at each tick.
    if (
      now - this.#bytesAt >= DAILY_BYTES_EVERY_MS ||
      day !== dayOf(this.#bytesAt)
    ) {
      ops.recordDailyBytes(day);
      this.#bytesAt = now;
    }
    this.#summary(health, settings, now, day);
    return health;
  }

  #checkDisk(): void {
    const disk = this.#o.disk;
    if (!disk || disk.watermark <= 0) return;
    const free = disk.free();
    const low = free < disk.watermark;
    if (low === this.#diskLow) return;
    this.#diskLow = low;
    this.#o.notify({
      type: low ? "disk.low" : "disk.ok",
      freeBytes: free,
      watermark: disk.watermark,
    });
  }

  #summary(
    health: ClientHealth[],
    settings: OpsSettings,
    now: number,
    day: string,
  ): void {
    if (settings.summaryHour < 0) return;
    if (new Date(now).getUTCHours() < settings.summaryHour) return;
    const { ops } = this.#o;
    if (ops.settings()[SUMMARY_SENT] === day) return;
    ops.saveSettings({ [SUMMARY_SENT]: day });
    const since = new Date(now - 86_400_000).toISOString();
    const failures = ops.dailyOutcomes(since)
      .reduce((sum, d) => sum + Number(d.failed), 0);
    this.#o.notify({
      type: "summary.daily",
      day,
      counts: countByState(health),
      storedBytes: this.#o.storedBytes(),
      failures,
      attention: health.filter((h) => h.state !== "ok").slice(0, 50),
    });
  }
}
