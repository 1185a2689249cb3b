/**
 * The operations side of a running server, as server/serve.ts starts it:
 * a notifier installed for {@link notify}, the state watcher on its timer,
 * and "server started/stopping" notifications.
 * @module
 */
import type { ServerEvent } from "../stats/events.ts";
import { freeBytesOf } from "../session/disk_guard.ts";
import type { BackupStorage } from "../storage/types.ts";
import type { ClientHealth, QuotaCheck } from "./health.ts";
import { installNotifier, Notifier } from "./notifier.ts";
import { quotaCheck } from "./quota.ts";
import { type OpsSettings, parseSettings } from "./settings.ts";
import { StateWatcher } from "./watcher.ts";

/** What the portal uses of the operations side. */
export interface OpsRuntime {
  notifier: Notifier;
  overQuota: QuotaCheck;
  /** Re-evaluates states now (after a settings change). */
  evaluate(): void;
  /** Every client's health at the watcher's last evaluation; undefined before it. */
  health(): readonly ClientHealth[] | undefined;
}

/** A running operations side. */
export interface RunningOps extends OpsRuntime {
  /** Feeds a session event to the watcher. */
  onEvent(event: ServerEvent): void;
  /** Sends "server started" and starts the watcher. */
  start(): void;
  /** Stops the watcher, sends "server stopping", waits for deliveries (bounded). */
  stop(): Promise<void>;
}

/** The current settings of `db`. */
export function opsSettings(db: Pick<BackupStorage, "ops">): OpsSettings {
  return parseSettings(db.ops.settings());
}

/** A notifier over the settings and delivery log of `db`. */
export function notifierOf(db: Pick<BackupStorage, "ops">): Notifier {
  return new Notifier({
    settings: () => opsSettings(db),
    record: (row) => db.ops.recordDelivery(row),
  });
}

/** Builds the operations side of a server; nothing runs before start(). */
export function createOps(
  db: BackupStorage,
  options: {
    version: string;
    tickMs: number;
    /** The data directory, whose disk the watermark guards. */
    dataDir: string;
    minFreeBytes: number;
    overQuota?: QuotaCheck;
  },
): RunningOps {
  const notifier = notifierOf(db);
  const overQuota = options.overQuota ??
    quotaCheck(db.versions, db.policies);
  const watcher = new StateWatcher({
    ops: db.ops,
    transaction: (fn) => db.transaction(fn),
    storedBytes: () => db.status.storedBytes(),
    notify: (event) => notifier.notify(event),
    settings: () => opsSettings(db),
    tickMs: options.tickMs,
    disk: {
      free: () => freeBytesOf(options.dataDir),
      watermark: options.minFreeBytes,
    },
    overQuota,
  });
  return {
    notifier,
    overQuota,
    evaluate: () => void watcher.evaluate(),
    health: () => watcher.latest(),
    onEvent: (event) => watcher.onEvent(event),
    start() {
      installNotifier(notifier);
      void notifier.notify({ type: "server.start", version: options.version });
      watcher.start();
    },
    async stop() {
      watcher.stop();
      void notifier.notify({ type: "server.stop", version: options.version });
      await notifier.drain(5000);
      installNotifier(undefined);
    },
  };
}
