/**
 * Stored content sent to the browser as an attachment, streamed from disk
 * and never held in memory: the latest copy of a file and any version of it
 * go out through the same code.
 * @module
 */
import { HttpError } from "./define.ts";

/**
 * A response that streams the file `open` opens as an attachment named
 * `name`. A file that is missing, or whose name or address the store
 * refuses (a RangeError: no such copy can exist), is a 404.
 */
export async function attachment(
  open: () => Promise<Deno.FsFile>,
  name: string,
): Promise<Response> {
  let file: Deno.FsFile;
  try {
    file = await open();
  } catch (error) {
    // NotFound also covers a symlink planted at the name, never followed.
    if (
      error instanceof Deno.errors.NotFound || error instanceof RangeError
    ) throw new HttpError(404);
    throw error;
  }
  let size: number;
  try {
    ({ size } = await file.stat());
  } catch (error) {
    file.close();
    throw error;
  }
  return new Response(file.readable, {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(size),
      "content-disposition": contentDisposition(name),
      "cache-control": "no-store",
    },
  });
}

/** `attachment` with an ASCII fallback and the exact name in RFC 5987 form. */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${fallback}"; filename*=UTF-8''${
    encodeURIComponent(name)
  }`;
}
