/**
 * File names as the protocol can carry them: a browser file may be called
 * anything, the `FileName` field holds one printable-ASCII path component of
 * at most 254 characters that the server's store accepts. Pure.
 * @module
 */
import { checkFileName } from "../../server/storage/file_name.ts";

const MAX = 254;
const RESERVED = /^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9]|LPT[0-9])$/i;

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
  const base = safe.split(".", 1)[0].trimEnd();
  if (RESERVED.test(base)) safe = `_${safe}`;
  if (safe.length > MAX) {
    const dot = safe.lastIndexOf(".");
    const extension = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : "";
    safe = safe.slice(0, MAX - extension.length).trimEnd() + extension;
  }
  // The store's own rules decide; anything they still refuse is replaced.
  return checkFileName(safe) === undefined ? safe : "file";
}
