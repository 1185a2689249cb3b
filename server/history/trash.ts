/**
 * The trash over the database and the content store ({@link TrashService}).
 * Moving the newest kept version of a name to the trash (or back) moves
 * the name's `files` row and its `received_files/<client>/<name>` hard link
 * with it, inside the same transaction, so tools reading the database or
 * the folder see the newest kept version. Trashed versions keep their
 * content (GC counts them as references) until purged.
 * @module
 */
import { toHex } from "../../shared/encoding.ts";
import type { FileStore } from "../storage/file_store.ts";
import type { MaintenanceStorage } from "../storage/maintenance_types.ts";
import type { BackupStorage, FileVersion, Page } from "../storage/types.ts";
import { exclusiveRun, yieldToEventLoop } from "./run_record.ts";
import type { Actor, TrashedVersion, TrashService } from "./trash_api.ts";

/** How long a trashed version is kept before the scheduled purge, by default. */
export const DEFAULT_TRASH_DAYS = 7;

/** What the trash needs of the database. */
export type TrashStorage =
  & Pick<BackupStorage, "transaction" | "audit" | "files" | "versions">
  & { maintenance: MaintenanceStorage };

/** Where content lives on disk: the objects and each name's latest-copy link. */
export type ContentFiles = Pick<FileStore, "root" | "objects" | "pathOf">;

/** Versions purged per transaction. */
const PURGE_BATCH = 500;

/** {@link TrashService} over a database and the files of `received_files`. */
export class Trash implements TrashService {
  readonly #db: TrashStorage;
  readonly #files: ContentFiles;
  readonly #delayMs: number;

  constructor(
    db: TrashStorage,
    files: ContentFiles,
    options: { trashDays?: number } = {},
  ) {
    this.#db = db;
    this.#files = files;
    this.#delayMs = (options.trashDays ?? DEFAULT_TRASH_DAYS) * 86400_000;
  }

  trash(id: number, by: Actor, now: string): TrashedVersion | undefined {
    const m = this.#db.maintenance;
    return this.#db.transaction(() => {
      const version = m.version(id);
      if (!version || version.trashedAt !== null) return undefined;
      m.markTrashed(id, by.actor, now);
      const newest = this.#db.versions.latest(
        version.clientId,
        version.fileName,
      );
      if (!newest || newest.number < version.number) {
        this.#pointLatest(version, newest);
      }
      this.#audit(by, now, "version.trash", version);
      return this.#withPurge({
        ...version,
        trashedAt: now,
        trashedBy: by.actor,
      });
    });
  }

  restore(id: number, by: Actor, now: string): boolean {
    const m = this.#db.maintenance;
    return this.#db.transaction(() => {
      const version = m.version(id);
      if (!version || version.trashedAt === null) return false;
      const before = this.#db.versions.latest(
        version.clientId,
        version.fileName,
      );
      m.unmarkTrashed(id);
      if (!before || before.number < version.number) {
        this.#pointLatest(before, version);
      }
      this.#audit(by, now, "version.untrash", version);
      return true;
    });
  }

  purge(
    target: { ids: number[] } | { clientId: Uint8Array } | "all",
    by: Actor,
    now: string,
  ): number {
    const m = this.#db.maintenance;
    let purged = 0;
    if (typeof target === "object" && "ids" in target) {
      for (let i = 0; i < target.ids.length; i += PURGE_BATCH) {
        const ids = target.ids.slice(i, i + PURGE_BATCH);
        purged += this.#db.transaction(() => m.deleteTrashed(ids));
      }
    } else {
      const clientId = target === "all" ? undefined : target.clientId;
      for (;;) {
        const ids = m.trashedIds(PURGE_BATCH, clientId);
        if (ids.length === 0) break;
        purged += this.#db.transaction(() => m.deleteTrashed(ids));
      }
    }
    this.#db.audit.record({
      at: now,
      actor: by.actor,
      address: by.address,
      action: "trash.purge",
      target: target === "all"
        ? "*"
        : "ids" in target
        ? target.ids.join(",")
        : toHex(target.clientId),
      detail: JSON.stringify({ purged }),
    });
    return purged;
  }

  list(
    query: { clientId?: Uint8Array; page?: number; pageSize?: number } = {},
  ): Page<TrashedVersion> {
    const page = this.#db.maintenance.trashed(query);
    return { ...page, rows: page.rows.map((row) => this.#withPurge(row)) };
  }

  /**
   * Deletes the versions trashed longer than the delay, in batches, as a
   * "trash-purge" run (audited as "trash.expire" when any went); undefined
   * when another purge is running.
   */
  async purgeExpired(
    by: Actor,
    now: () => Date = () => new Date(),
  ) {
    const m = this.#db.maintenance;
    const job = { kind: "trash-purge", scope: "*", by, now } as const;
    return await exclusiveRun(m, job, async (run) => {
      const cutoff = new Date(now().getTime() - this.#delayMs).toISOString();
      const figures = { examined: 0, removed: 0, files: 0, bytes: 0 };
      for (;;) {
        const ids = m.trashedBefore(cutoff, PURGE_BATCH);
        if (ids.length === 0) break;
        figures.examined += ids.length;
        this.#db.transaction(() => {
          figures.removed += m.deleteTrashed(ids);
          m.progressRun(run.id, figures, null, now().toISOString());
        });
        await yieldToEventLoop();
      }
      const end = now().toISOString();
      this.#db.transaction(() => {
        m.finishRun(run.id, "done", null, end);
        if (figures.removed > 0) {
          this.#db.audit.record({
            at: end,
            actor: by.actor,
            address: by.address,
            action: "trash.expire",
            target: "*",
            detail: JSON.stringify({ purged: figures.removed, before: cutoff }),
          });
        }
      });
    });
  }

  #withPurge<V extends FileVersion & { trashedBy: string | null }>(
    version: V,
  ): TrashedVersion {
    const trashedAt = version.trashedAt ?? "";
    return {
      ...version,
      trashedAt,
      purgeAfter: new Date(Date.parse(trashedAt) + this.#delayMs).toISOString(),
    };
  }

  #audit(by: Actor, now: string, action: string, version: FileVersion): void {
    this.#db.audit.record({
      at: now,
      actor: by.actor,
      address: by.address,
      action,
      target: `${toHex(version.clientId)}/${version.fileName}`,
      detail: JSON.stringify({ version: version.id, number: version.number }),
    });
  }

  /**
   * Makes the name's files row and latest-name link show `to` (or removes
   * both when undefined); `from` is what they showed. Runs inside the
   * caller's transaction, the link change last, so only a failed COMMIT
   * (or a crash right before it) can leave the link ahead of the row; the
   * next upload, trash or restore of the name rewrites both.
   */
  #pointLatest(from: FileVersion | undefined, to: FileVersion | undefined) {
    const name = (to ?? from)!;
    const latest = this.#files.pathOf(name.clientId, name.fileName);
    if (to) {
      const row = this.#db.files.of(to.clientId, to.fileName);
      this.#db.files.recordVerified({
        clientId: to.clientId,
        fileName: to.fileName,
        pathName: row?.pathName ?? latest,
        size: to.size,
        checksum: to.checksum,
      }, to.storedAt);
      this.#files.objects.linkTo(to.blake3, latest);
    } else {
      this.#db.files.delete(name.clientId, name.fileName);
      try {
        Deno.removeSync(latest);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  }
}
