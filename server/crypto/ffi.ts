/**
 * Optional native libraries through `Deno.dlopen`: each is an accelerator
 * with a portable fallback, so a missing library or a missing FFI
 * permission is an answer (null), never an error.
 * @module
 */
import { getLogger } from "@logtape/logtape";

const logger = getLogger(["cyberbackup", "crypto"]);

/** Asks without prompting: an unattended server must never block on a prompt. */
function ffiGranted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * Opens the first of `names` that loads with `symbols`, or returns null
 * when FFI is not granted or none loads. `purpose` names what the library
 * would speed up, for the log.
 */
export function openOptionalLibrary<S extends Deno.ForeignLibraryInterface>(
  names: readonly string[],
  symbols: S,
  purpose: string,
): Deno.DynamicLibrary<S>["symbols"] | null {
  if (typeof Deno?.dlopen !== "function" || !ffiGranted()) {
    logger.debug("No native library for {purpose}: FFI not granted", {
      purpose,
    });
    return null;
  }
  for (const name of names) {
    try {
      const library = Deno.dlopen(name, symbols).symbols;
      logger.debug("Opened {name} for {purpose}", { name, purpose });
      return library;
    } catch (error) {
      logger.debug("Cannot open {name}: {error}", {
        name,
        error: (error as Error).message,
      });
    }
  }
  return null;
}
