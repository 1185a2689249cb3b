/**
 * What the portal needs from the rest of the server. Structural types for
 * the database and file store, so the portal depends on the methods it uses
 * and tests can pass small fakes.
 * @module
 */
import type { BackupApi } from "../api/mod.ts";
import type { RuntimeLimitValues, ServerConfig } from "../config.ts";
import type { OpsRuntime } from "../ops/runtime.ts";
import type { LogBuffer } from "../stats/log_buffer.ts";
import type { Stats } from "../stats/stats.ts";
import type { BackupStorage } from "../storage/types.ts";
import type { MaintenanceScheduler } from "../history/scheduler.ts";
import type { Trash } from "../history/trash.ts";

/** The part of `FileStore` (server/storage/file_store.ts) the portal uses. */
export interface PortalFileStore {
  openStored(clientId: Uint8Array, fileName: string): Promise<Deno.FsFile>;
  remove(clientId: Uint8Array, fileName: string): Promise<void>;
  removeClient(clientId: Uint8Array): Promise<void>;
  /** The content objects, from which any version is read. */
  readonly objects: {
    openObject(blake3: string): Promise<Deno.FsFile>;
  };
}

/** Everything `createApp` needs; main.ts builds it. */
export interface PortalDeps {
  db: BackupStorage;
  store: PortalFileStore;
  stats: Stats;
  logs: LogBuffer;
  config: ServerConfig;
  /** Current runtime limits and a way to change them (propagated to TCP workers by the caller). */
  limits: {
    get(): RuntimeLimitValues;
    set(values: Partial<RuntimeLimitValues>): void;
  };
  health(): { tcp: boolean; database: boolean };
  version: string;
  /**
   * When set, `GET /metrics` requires `Authorization: Bearer <token>`;
   * when unset it is open, like `/health` (the HTTP side binds 127.0.0.1 by default).
   */
  metricsToken?: string;
  /** The browser client's JSON API (routes/api/v1/); without it those routes are 404. */
  backupApi?: BackupApi;
  /** The trash and the maintenance runs (issue 13); without them those pages are 404. */
  history?: { trash: Trash; maintenance: MaintenanceScheduler };
  /** Client health and notifications (server/ops/); without it pages build their own over `db`. */
  ops?: OpsRuntime;
}
