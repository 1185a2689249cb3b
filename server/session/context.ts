/**
 * What the session core needs from the world, passed in explicitly so that
 * the core does not know which transport feeds it.
 * @module
 */
import type { OaepHash } from "../crypto/rsa_oaep.ts";
import type { EventSink } from "../stats/events.ts";
import type { BackupStorage } from "../storage/types.ts";
import type { FileStore } from "../storage/file_store.ts";

/** The shared services and settings of every session in one thread. */
export interface SessionContext {
  db: BackupStorage;
  store: FileStore;
  events: EventSink;
  oaepHash: OaepHash;
  /** Largest original file size accepted. */
  maxFileBytes: number;
  /** Which transport this session runs on, recorded with its transfers. */
  transport: "tcp" | "http";
  /** The current time as ISO-8601 UTC; injectable for tests. */
  now?: () => string;
  /** New uploads are refused while the data disk has fewer free bytes. */
  minFreeBytes?: number;
  /** Free bytes on the disk of `path`; injectable for tests (disk_guard.ts). */
  freeBytes?: (path: string) => number;
}

/** ISO-8601 UTC time now, or the context's clock. */
export function nowOf(ctx: SessionContext): string {
  return ctx.now?.() ?? new Date().toISOString();
}
