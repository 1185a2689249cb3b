/**
 * Start-up repair of a verified upload that the process died in the middle
 * of putting in place: its file was renamed over the final name but the
 * transaction recording it never committed. The rename is undone, so the
 * file under the final name is again the one its record describes.
 * @module
 */
import { getLogger } from "@logtape/logtape";
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
 * Undoes the rename of an upload whose record was never committed: the
 * previous copy (kept aside by `publish()`) goes back under the final
 * name; a first copy that has no record is removed. Nothing happens when
 * the rename never took place. Must run before `removeLeftovers()`, which
 * deletes the previous copies.
 */
export function undoInterruptedCommit(commit: InterruptedCommit): Recovery {
  const { tempPath, finalPath } = commit;
  const previous = previousPathOf(tempPath);
  let outcome: Recovery = "untouched";
  if (exists(previous)) {
    Deno.renameSync(previous, finalPath);
    outcome = "restored";
  } else if (!exists(tempPath) && !commit.recorded && exists(finalPath)) {
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
