/**
 * The rules a file name from the wire must pass before it becomes a path
 * under `received_files/<client id hex>/`. Pure, so the session core can
 * refuse a name before any I/O and the file store can re-check it.
 * @module
 */

/** Longest name in UTF-8 bytes: the 255-byte protocol field minus its NUL. */
export const MAX_FILE_NAME_LENGTH = 254;

const ENCODER = new TextEncoder();

/** C0 and C1 controls, DEL, and the line and paragraph separators. */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
/**
 * Invisible formatting characters: a direction override can make
 * "exe.txt" display as "txt.exe", a zero-width space hide a difference.
 */
const FORMAT = /\p{Cf}/u;
/** A surrogate half alone, which no UTF-8 can encode. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Device names that Windows opens as devices instead of files, whatever the
 * extension or case ("con.txt", "Lpt1.tar.gz"). Refused on every platform
 * so a backup can be restored anywhere.
 */
const RESERVED_DEVICE =
  /^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9]|LPT[0-9])$/i;

/**
 * Characters that Windows forbids in names (`:` would also open an NTFS
 * alternate data stream). Path separators are checked separately.
 */
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;

/**
 * Why `name` cannot be stored as a client's file, or `undefined` when it
 * can. The name must be a single plain path component: this is what keeps
 * a hostile name from escaping the client's folder. Any Unicode text that
 * fits the field is allowed ("résumé.txt"), but no control or invisible
 * formatting character.
 *
 * @example
 * ```ts
 * checkFileName("report.pdf"); // undefined
 * checkFileName("../etc/passwd"); // "name contains a path separator"
 * ```
 */
export function checkFileName(name: string): string | undefined {
  if (name.length === 0) return "name is empty";
  if (name === "." || name === "..") return "name is a relative path component";
  if (LONE_SURROGATE.test(name)) return "name is not valid Unicode";
  if (ENCODER.encode(name).length > MAX_FILE_NAME_LENGTH) {
    return `name is longer than ${MAX_FILE_NAME_LENGTH} bytes in UTF-8`;
  }
  if (CONTROL.test(name)) return "name contains a control character";
  if (FORMAT.test(name)) {
    return "name contains an invisible formatting character";
  }
  if (name.includes("/") || name.includes("\\")) {
    return "name contains a path separator";
  }
  if (WINDOWS_FORBIDDEN.test(name)) {
    return 'name contains one of the characters < > : " | ? *';
  }
  if (name.startsWith(" ")) return "name starts with a space";
  if (name.endsWith(" ")) return "name ends with a space";
  if (name.endsWith(".")) return "name ends with a dot";
  if (isDeviceName(name)) return "name is a reserved device name";
  return undefined;
}

/**
 * True when Windows would open `name` as a device ("con.txt", "Lpt1 .log"):
 * it ignores the extension and the trailing spaces of the base name.
 */
export function isDeviceName(name: string): boolean {
  return RESERVED_DEVICE.test(name.split(".", 1)[0].trimEnd());
}
