/**
 * Garbage collection of content no version references (trashed versions
 * still do). Two phases, both in small batches with bounded memory:
 *
 * 1. `contents` rows without a version, streamed by BLAKE3 after a
 *    cursor: per batch ONE write transaction re-checks each row, deletes it
 *    and renames its object to `received_files/.gc/<hex>`; the files are
 *    unlinked only after COMMIT. An upload commits under the same write
 *    lock, so it either dedups against a row GC has not touched (and GC's
 *    re-check then sees its version) or finds the row gone and stores its
 *    own object.
 * 2. Object files with no row (an upload killed between linking its object
 *    and committing), older than a grace period: one `.objects/<2 hex>/`
 *    folder at a time, re-checked and renamed to `.gc/` in a transaction.
 *
 * A kill -9 at any point leaves objects only in `.objects/` or `.gc/`;
 * {@link recoverCollected} (at start-up and before each run) puts back
 * those whose row exists and unlinks the rest.
 * @module
 */
import { join } from "node:path";
import type {
  MaintenanceStorage,
  RunRecord,
} from "../storage/maintenance_types.ts";
import { isContentAddress } from "../storage/content_address.ts";
import { OBJECTS_FOLDER } from "../storage/content_store.ts";
import type { BackupStorage } from "../storage/types.ts";
import { exclusiveRun, yieldToEventLoop } from "./run_record.ts";
import type { ContentFiles } from "./trash.ts";
import type { Actor } from "./trash_api.ts";

/** What GC needs of the database. */
export type GcStorage = Pick<BackupStorage, "transaction" | "audit"> & {
  maintenance: MaintenanceStorage;
};

/** The folder of objects being collected, inside `received_files`. */
export const GC_FOLDER = ".gc";

/** How old an object file without a row must be before it is collected, by default. */
export const DEFAULT_ORPHAN_GRACE_MS = 3600_000;

/** How a GC run goes. */
export interface GcOptions {
  by: Actor;
  now?: () => Date;
  /** Contents rows per transaction; 200 by default. */
  batch?: number;
  orphanGraceMs?: number;
  onProgress?: (run: RunRecord) => void;
}

/** What {@link recoverCollected} did. */
export interface GcRecovery {
  restored: number;
  unlinked: number;
}

/**
 * Finishes what a killed GC left in `.gc/`: an object whose row still
 * exists (the transaction never committed) goes back to `.objects/`, any
 * other is unlinked. Under the write lock, one batch at a time.
 */
export function recoverCollected(
  db: GcStorage,
  files: ContentFiles,
): GcRecovery {
  const folder = join(files.root, GC_FOLDER);
  const recovery = { restored: 0, unlinked: 0 };
  let names: string[];
  try {
    names = [...Deno.readDirSync(folder)].map((e) => e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return recovery;
    throw error;
  }
  for (let i = 0; i < names.length; i += 500) {
    const chunk = names.slice(i, i + 500);
    const unlink: string[] = [];
    db.transaction(() => {
      const rows = db.maintenance.existingContents(
        chunk.filter(isContentAddress),
      );
      for (const name of chunk) {
        // An upload may have healed the missing object meanwhile (same
        // content, and the names link to it): then the copy aside goes.
        if (rows.has(name) && !files.objects.has(name)) {
          const target = files.objects.objectPath(name);
          Deno.mkdirSync(join(target, ".."), { recursive: true, mode: 0o700 });
          Deno.renameSync(join(folder, name), target);
          recovery.restored++;
        } else {
          unlink.push(name);
        }
      }
    });
    for (const name of unlink) {
      removeIfThere(join(folder, name));
      recovery.unlinked++;
    }
  }
  return recovery;
}

/**
 * Collects unreferenced content; resolves with the finished run (figures:
 * examined rows, removed rows, files unlinked, bytes freed), or undefined
 * when another GC is alive. Audited as "gc.run".
 */
export async function collectGarbage(
  db: GcStorage,
  files: ContentFiles,
  options: GcOptions,
): Promise<RunRecord | undefined> {
  const now = options.now ?? (() => new Date());
  const batch = options.batch ?? 200;
  const grace = options.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS;
  const m = db.maintenance;
  const job = { kind: "gc", scope: "*", by: options.by, now } as const;
  return await exclusiveRun(m, job, async (run) => {
    const gcFolder = join(files.root, GC_FOLDER);
    Deno.mkdirSync(gcFolder, { recursive: true, mode: 0o700 });
    const figures = { examined: 0, removed: 0, files: 0, bytes: 0 };
    let orphans = 0;
    const progress = (cursor: string | null) => {
      m.progressRun(run.id, figures, cursor, now().toISOString());
    };
    recoverCollected(db, files);
    // Phase 1: rows without versions. A resumed run skips what is done.
    let after = run.cursor?.startsWith("c:") ? run.cursor.slice(2) : "";
    for (;;) {
      const rows = m.unreferencedAfter(after, batch);
      if (rows.length === 0) break;
      after = rows[rows.length - 1].blake3;
      figures.examined += rows.length;
      const moved = collectBatch(
        db,
        files,
        rows.map((r) => r.blake3),
        () => progress(`c:${after}`),
      );
      figures.removed += moved.rows;
      const bytesOf = new Map(rows.map((r) => [r.blake3, r.storedSize]));
      for (const blake3 of moved.files) {
        removeIfThere(join(gcFolder, blake3));
        figures.files++;
        figures.bytes += bytesOf.get(blake3) ?? 0;
      }
      m.progressRun(run.id, figures, null, now().toISOString());
      options.onProgress?.(m.run(run.id)!);
      await yieldToEventLoop();
    }
    // Phase 2: object files without rows, one prefix folder at a time.
    const objects = join(files.root, OBJECTS_FOLDER);
    const prefixes = listNames(objects).filter((n) => /^[0-9a-f]{2}$/.test(n))
      .sort();
    const cutoff = now().getTime() - grace;
    for (const prefix of prefixes) {
      const folder = join(objects, prefix);
      // Rows first (one query per folder), so only files without one are
      // stat'ed, once: the mtime picks them and the size is what their
      // removal frees (an object never changes under its name). The
      // transaction below checks again under the write lock.
      const named = listNames(folder).filter(isContentAddress);
      const rows = m.existingContents(named);
      const sizes = new Map<string, number>();
      for (const name of named) {
        if (rows.has(name)) continue;
        const info = statOrUndefined(join(folder, name));
        const mtime = info?.mtime?.getTime();
        if (info && mtime !== undefined && mtime < cutoff) {
          sizes.set(name, info.size);
        }
      }
      const old = [...sizes.keys()];
      for (let i = 0; i < old.length; i += batch) {
        const chunk = old.slice(i, i + batch);
        const moved = collectOrphans(
          db,
          files,
          chunk,
          () => progress(`o:${prefix}`),
        );
        for (const blake3 of moved) {
          removeIfThere(join(gcFolder, blake3));
          orphans++;
          figures.files++;
          figures.bytes += sizes.get(blake3) ?? 0;
        }
        await yieldToEventLoop();
      }
    }
    const end = now().toISOString();
    db.transaction(() => {
      m.progressRun(run.id, figures, null, end);
      m.finishRun(run.id, "done", null, end);
      db.audit.record({
        at: end,
        actor: options.by.actor,
        address: options.by.address,
        action: "gc.run",
        target: "*",
        detail: JSON.stringify({ run: run.id, ...figures, orphans }),
      });
    });
    options.onProgress?.(m.run(run.id)!);
  });
}

/**
 * One transaction: deletes each row still unreferenced and renames its
 * object into `.gc/`; when the transaction fails, the renamed objects go
 * back. Returns how many rows went and which objects were moved.
 */
function collectBatch(
  db: GcStorage,
  files: ContentFiles,
  blake3s: string[],
  inside: () => void,
): { rows: number; files: string[] } {
  const moved: string[] = [];
  let rows = 0;
  try {
    db.transaction(() => {
      for (const blake3 of blake3s) {
        if (!db.maintenance.deleteUnreferenced(blake3)) continue;
        rows++;
        if (moveAside(files, blake3)) moved.push(blake3);
      }
      inside();
    });
  } catch (error) {
    putBack(files, moved);
    throw error;
  }
  return { rows, files: moved };
}

/** Like collectBatch for object files: re-checks that no row appeared, then moves them aside. */
function collectOrphans(
  db: GcStorage,
  files: ContentFiles,
  blake3s: string[],
  inside: () => void,
): string[] {
  const moved: string[] = [];
  try {
    db.transaction(() => {
      const rows = db.maintenance.existingContents(blake3s);
      for (const blake3 of blake3s) {
        if (!rows.has(blake3) && moveAside(files, blake3)) moved.push(blake3);
      }
      inside();
    });
  } catch (error) {
    putBack(files, moved);
    throw error;
  }
  return moved;
}

/** Renames an object into `.gc/`; false when it was not there. */
function moveAside(files: ContentFiles, blake3: string): boolean {
  try {
    Deno.renameSync(
      files.objects.objectPath(blake3),
      join(files.root, GC_FOLDER, blake3),
    );
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function putBack(files: ContentFiles, blake3s: string[]): void {
  for (const blake3 of blake3s) {
    Deno.renameSync(
      join(files.root, GC_FOLDER, blake3),
      files.objects.objectPath(blake3),
    );
  }
}

function removeIfThere(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function listNames(folder: string): string[] {
  try {
    return [...Deno.readDirSync(folder)].map((e) => e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

function statOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch {
    return undefined;
  }
}
