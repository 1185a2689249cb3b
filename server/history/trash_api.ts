/**
 * The trash as the portal and the admin CLI use it (implemented by
 * `Trash` in `trash.ts`). An administrator's delete of a version moves it
 * to the trash; it keeps its content until the trash is purged (after
 * `trashDays`, 7 by default, or early by an explicit, audited purge).
 * Every method records its act in the audit log.
 * @module
 */
import type { FileVersion, Page } from "../storage/types.ts";

/** Who does an act, for the audit log. */
export interface Actor {
  /** The administrator's name ("cli:<user>" from the CLI), or "system". */
  actor: string;
  /** The address the request came from, when there was one. */
  address: string | null;
}

/** A version in the trash, as the trash page lists it. */
export interface TrashedVersion extends FileVersion {
  trashedAt: string;
  trashedBy: string | null;
  /** When the scheduled purge may delete it (trashedAt + the delay). */
  purgeAfter: string;
}

/** The trash operations (`Trash` implements them over the database and the content store). */
export interface TrashService {
  /**
   * Moves version `id` to the trash (audit "version.trash"). When it was the
   * newest kept version of its name, the files row and the
   * `received_files/<client>/<name>` link move to the newest remaining kept
   * version, or go when none is left. Returns the trashed version;
   * undefined when there is no such kept version.
   */
  trash(id: number, by: Actor, now: string): TrashedVersion | undefined;
  /**
   * Takes version `id` back out of the trash (audit "version.untrash"); when
   * it is now the newest kept version, the files row and link move to it.
   * False when it is not in the trash.
   */
  restore(id: number, by: Actor, now: string): boolean;
  /**
   * Deletes trashed versions for good, before their delay is up (audit
   * "trash.purge"): the ids given, or every trashed version of `clientId`,
   * or the whole trash. Their content is left to GC. Returns how many.
   */
  purge(
    target: { ids: number[] } | { clientId: Uint8Array } | "all",
    by: Actor,
    now: string,
  ): number;
  /** The trash, most recently trashed first, optionally of one client. */
  list(
    query?: { clientId?: Uint8Array; page?: number; pageSize?: number },
  ): Page<TrashedVersion>;
}
