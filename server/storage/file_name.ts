/**
 * The rules a file name from the wire must pass before it becomes a path
 * under `received_files/<client id hex>/`. Pure, so the session core can
 * refuse a name before any I/O and the file store can re-check it.
 * @module
 */

/** Longest name: the 255-byte protocol field minus its NUL terminator. */
export const MAX_FILE_NAME_LENGTH = 254;

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
 * a hostile name from escaping the client's folder.
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
  if (name.length > MAX_FILE_NAME_LENGTH) {
    return `name is longer than ${MAX_FILE_NAME_LENGTH} characters`;
  }
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) {
      return "name contains a control character";
    }
    if (code > 0x7f) return "name contains a non-ASCII character";
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
  // Windows ignores the extension and trailing spaces of the base name.
  const base = name.split(".", 1)[0].trimEnd();
  if (RESERVED_DEVICE.test(base)) return "name is a reserved device name";
  return undefined;
}
