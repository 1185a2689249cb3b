/**
 * Start-up repair of a verified upload that the process died in the middle
 * of putting in place: its file was renamed over the final name but the
 * transaction recording it never committed. The rename is undone, so the
 * file under the final name is again the one its record describes.
 *
 * With backup history the file renamed into place is a hard link to its
 * content object (docs/history.md), which the same undoing covers: the
 * previous link returns, or an unrecorded first name is unlinked, and the
 * object stays behind, whole, for the next commit of that content or GC.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { dirname } from "node:path";
import { previousPathOf } from "./pending_file.ts";

const logger = getLogger(["cyberbackup", "storage"]);

/** A transfer that was putting its file in place when the process died. */
export interface InterruptedCommit {
  tempPath: string;
  finalPath: string;
  /** Whether the database holds a record of a file under `finalPath`. */
  recorded: boolean;
}

/** What recovery did with one interrupted commit. */
export type Recovery = "restored" | "removed" | "untouched";

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * True when `path` is a real folder, false when it is missing; throws for
 * a symbolic link or anything else, which recovery must not act through.
 */
function realFolder(path: string): boolean {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  if (info.isSymlink) throw new Error(`${path} is a symbolic link`);
  if (!info.isDirectory) throw new Error(`${path} is not a directory`);
  return true;
}

/**
 * Undoes the rename of an upload whose record was never committed: the
 * previous copy (kept aside by `publish()`) goes back under the final
 * name; a first copy that has no record is removed. Nothing happens when
 * the rename never took place, or when the client folder is gone. Throws,
 * acting on nothing, when the client folder or the temporary folder is a
 * symbolic link. Must run before `removeLeftovers()`, which deletes the
 * previous copies: when this throws, the caller must not go on to that.
 */
export function undoInterruptedCommit(commit: InterruptedCommit): Recovery {
  const { tempPath, finalPath } = commit;
  // A link planted as either folder would make the rename or the removal
  // below write or delete a file outside received_files.
  const keptAside = realFolder(dirname(tempPath));
  if (!realFolder(dirname(finalPath))) return "untouched";
  const previous = previousPathOf(tempPath);
  let outcome: Recovery = "untouched";
  if (keptAside && exists(previous)) {
    Deno.renameSync(previous, finalPath);
    outcome = "restored";
  } else if (
    !(keptAside && exists(tempPath)) && !commit.recorded && exists(finalPath)
  ) {
    Deno.removeSync(finalPath);
    outcome = "removed";
  }
  if (outcome !== "untouched") {
    logger.warn(
      "Undid the interrupted commit of {path}: the previous state is {outcome}",
      { path: finalPath, outcome },
    );
  }
  return outcome;
}
