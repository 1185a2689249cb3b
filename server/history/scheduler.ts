/**
 * History maintenance in the server's main thread: retention, then the
 * purge of expired trash, then garbage collection, every `intervalMs`
 * (counted from the last retention run recorded in the database, so
 * restarts do not postpone it forever) and on demand from the portal.
 * Each step yields to the event loop between batches, so the portal keeps
 * answering; uploads in the workers wait at most one batch.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { RunRecord } from "../storage/maintenance_types.ts";
import { collectGarbage, type GcStorage, recoverCollected } from "./gc.ts";
import {
  previewRetention,
  type RetentionPreview,
  type RetentionStorage,
  runRetention,
} from "./retention_run.ts";
import type { ContentFiles, Trash } from "./trash.ts";
import type { Actor } from "./trash_api.ts";

const logger = getLogger(["cyberbackup", "history"]);

/** The first scheduled run after a start waits this long (or the interval, when shorter). */
const FIRST_RUN_DELAY_MS = 60_000;

/** What one maintenance pass did (an entry is undefined when another process held that job). */
export interface MaintenancePass {
  retention?: RunRecord;
  purge?: RunRecord;
  gc?: RunRecord;
}

/** Runs maintenance on a timer and on demand, one pass at a time. */
export class MaintenanceScheduler {
  readonly #db: RetentionStorage & GcStorage;
  readonly #files: ContentFiles;
  readonly #trash: Trash;
  readonly #intervalMs: number;
  #timer?: ReturnType<typeof setTimeout>;
  #running?: Promise<MaintenancePass>;
  #stopped = false;

  constructor(
    deps: {
      db: RetentionStorage & GcStorage;
      files: ContentFiles;
      trash: Trash;
      intervalMs: number;
    },
  ) {
    this.#db = deps.db;
    this.#files = deps.files;
    this.#trash = deps.trash;
    this.#intervalMs = deps.intervalMs;
  }

  /**
   * At start-up, before uploads begin: finishes what a killed GC left in
   * `.gc/`. Then schedules the passes (none when the interval is 0).
   */
  start(): void {
    const recovered = recoverCollected(this.#db, this.#files);
    if (recovered.restored + recovered.unlinked > 0) {
      logger.warn(
        "Garbage collection was cut off: {restored} objects put back, {unlinked} unlinked",
        { ...recovered },
      );
    }
    this.#schedule();
  }

  /** True while a pass runs in this process. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Runs one pass now (or joins the one running): retention (of one
   * client, or all), the expired trash, then GC.
   */
  runNow(by: Actor, options: { clientId?: Uint8Array } = {}) {
    this.#running ??= this.#pass(by, options).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** What a retention run would remove now (the portal's preview). */
  preview(options: Parameters<typeof previewRetention>[1]): RetentionPreview {
    return previewRetention(this.#db, options);
  }

  /** The latest runs, newest first. */
  runs(limit: number): RunRecord[] {
    return this.#db.maintenance.runs(limit);
  }

  /** Stops scheduling and waits for a running pass to end its batch loop. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }

  async #pass(
    by: Actor,
    options: { clientId?: Uint8Array },
  ): Promise<MaintenancePass> {
    const retention = await runRetention(this.#db, {
      by,
      clientId: options.clientId,
    });
    const purge = await this.#trash.purgeExpired(by);
    const gc = await collectGarbage(this.#db, this.#files, { by });
    logger.info(
      "Maintenance: {removed} versions removed, {purged} purged from the trash, {freed} bytes freed",
      {
        removed: retention?.removed ?? 0,
        purged: purge?.removed ?? 0,
        freed: gc?.bytes ?? 0,
      },
    );
    return { retention, purge, gc };
  }

  #schedule(): void {
    if (this.#stopped || this.#intervalMs <= 0) return;
    const last = this.#db.maintenance.runs(1, "retention")[0];
    const due = last ? Date.parse(last.startedAt) + this.#intervalMs : 0;
    const delay = Math.max(
      Math.min(FIRST_RUN_DELAY_MS, this.#intervalMs),
      due - Date.now(),
    );
    this.#timer = setTimeout(() => {
      this.runNow({ actor: "system", address: null })
        .catch((error) =>
          logger.error("Maintenance failed: {error}", { error })
        )
        .finally(() => this.#schedule());
    }, Math.min(delay, 2 ** 31 - 1));
    Deno.unrefTimer(this.#timer);
  }
}
