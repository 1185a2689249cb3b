/**
 * The storage side of maintenance (retention, trash, garbage collection):
 * keyset-paged reads that never hold every version in memory, deletes that
 * re-check their condition inside the caller's transaction, and the record
 * of each run. Kept apart from types.ts because only server/history/ uses it.
 * @module
 */
import type { FileVersion, Page } from "./types.ts";

/** A position in (client, name, number) order: where a paged read goes on. */
export interface VersionKey {
  clientId: Uint8Array;
  fileName: string;
  number: number;
}

/** What retention reads of a version: only the columns it plans and shows with. */
export type VersionHead = Pick<
  FileVersion,
  "id" | "clientId" | "fileName" | "number" | "storedAt" | "pinned" | "size"
>;

/** A version in the trash, with who trashed it. */
export interface TrashedRow extends FileVersion {
  trashedAt: string;
  trashedBy: string | null;
}

/** A `contents` row. */
export interface ContentRow {
  blake3: string;
  size: number;
  storedSize: number;
}

/** The kinds of maintenance run. */
export type RunKind = "retention" | "gc" | "trash-purge";

/** A run's figures as it goes. */
export interface RunFigures {
  /** Versions (retention) or contents rows (GC) looked at. */
  examined: number;
  /** Versions (retention, purge) or contents rows (GC) deleted. */
  removed: number;
  /** Object files unlinked (GC). */
  files: number;
  /** Bytes freed: plaintext of removed versions, or stored bytes of collected objects. */
  bytes: number;
}

/** A `maintenance_runs` row. */
export interface RunRecord extends RunFigures {
  id: number;
  kind: RunKind;
  /** "*" or a client id in hex. */
  scope: string;
  actor: string;
  owner: string;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  state: "running" | "done" | "failed" | "interrupted";
  cursor: string | null;
  error: string | null;
}

/** Maintenance reads and writes (SQLite: `SqliteMaintenance`). */
export interface MaintenanceStorage {
  /**
   * Up to `limit` kept (untrashed) versions after `after` in (client, name,
   * number) order, of one client or all.
   */
  keptVersionsAfter(
    after: VersionKey | undefined,
    limit: number,
    clientId?: Uint8Array,
  ): VersionHead[];
  /**
   * Deletes these versions when they are still kept, unpinned and not the
   * newest kept version of their name (re-checked here, so a version pinned
   * or made newest since it was planned survives). Returns how many went
   * and their plaintext bytes. Call inside a transaction.
   */
  deleteRetained(ids: readonly number[]): { removed: number; bytes: number };
  /** Any version, kept or trashed, with its trash columns. */
  version(id: number): (FileVersion & { trashedBy: string | null }) | undefined;
  /** Marks a kept version trashed; false when it is not kept. */
  markTrashed(id: number, by: string, now: string): boolean;
  /** Takes a version out of the trash; false when it is not trashed. */
  unmarkTrashed(id: number): boolean;
  /** The trash, most recently trashed first. */
  trashed(
    query: { clientId?: Uint8Array; page?: number; pageSize?: number },
  ): Page<TrashedRow>;
  /** Up to `limit` ids of versions trashed before `before` (ISO-8601), oldest trashed first. */
  trashedBefore(before: string, limit: number): number[];
  /** Up to `limit` ids of trashed versions, of one client or all. */
  trashedIds(limit: number, clientId?: Uint8Array): number[];
  /** Deletes these versions when they are trashed; returns how many. */
  deleteTrashed(ids: readonly number[]): number;
  /** Up to `limit` contents rows after `after` (by BLAKE3) that no version references. */
  unreferencedAfter(after: string, limit: number): ContentRow[];
  /** Deletes a contents row when no version references it; true when it went. */
  deleteUnreferenced(blake3: string): boolean;
  /** Which of these BLAKE3s have a contents row. */
  existingContents(blake3s: readonly string[]): Set<string>;
  /**
   * Starts a run of `kind` unless one is running whose owner `isAlive`
   * (then returns undefined). Runs left 'running' by a dead owner become
   * 'interrupted'; the new run resumes the cursor of the last of them on
   * the same scope.
   */
  beginRun(
    run: { kind: RunKind; scope: string; actor: string; owner: string },
    now: string,
    isAlive: (run: RunRecord) => boolean,
  ): RunRecord | undefined;
  /** Records figures and, when given, a cursor; the heartbeat of a run. */
  progressRun(
    id: number,
    figures: RunFigures,
    cursor: string | null,
    now: string,
  ): void;
  /** Ends a run. */
  finishRun(
    id: number,
    state: "done" | "failed",
    error: string | null,
    now: string,
  ): void;
  /** One run. */
  run(id: number): RunRecord | undefined;
  /** Latest runs first, optionally of one kind. */
  runs(limit: number, kind?: RunKind): RunRecord[];
}
