/**
 * File names as the browser sends them: a browser file may be called
 * anything; it is sent as one printable-ASCII path component of at most 254
 * characters that the server's store accepts. (The `FileName` field itself
 * carries UTF-8, which the server and the command-line client use; the
 * browser still folds names to ASCII.) Pure.
 * @module
 */
import {
  checkFileName,
  isDeviceName,
  MAX_FILE_NAME_LENGTH as MAX,
} from "../../server/storage/file_name.ts";

/**
 * A name the server stores `name` under: characters it refuses become "_",
 * a trailing dot or space is dropped, a device name gets a "_" prefix and a
 * long name is cut (keeping its extension).
 */
export function protocolFileName(name: string): string {
  let safe = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\x20-\x7e]|[<>:"|?*/\\]/g, "_")
    .trim().replace(/[. ]+$/, "");
  if (safe === "" || safe === "." || safe === "..") safe = "file";
  if (isDeviceName(safe)) safe = `_${safe}`;
  if (safe.length > MAX) {
    const dot = safe.lastIndexOf(".");
    const extension = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : "";
    safe = safe.slice(0, MAX - extension.length).trimEnd() + extension;
  }
  // The store's own rules decide; anything they still refuse is replaced.
  return checkFileName(safe) === undefined ? safe : "file";
}
