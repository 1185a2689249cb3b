/** Sends a stored file as an attachment, streamed from disk. */
import { define, HttpError } from "../../../server/portal/define.ts";
import { parseClientId } from "../../../server/portal/params.ts";

export const handler = define.handlers<never>({
  async GET(ctx) {
    const client = parseClientId(ctx.url.searchParams.get("client"));
    const name = ctx.url.searchParams.get("name") ?? "";
    const row = client && ctx.state.deps.db.files.get(client, name);
    if (!client || !row) throw new HttpError(404);
    let file: Deno.FsFile;
    try {
      file = await ctx.state.deps.store.openStored(client, name);
    } catch (error) {
      // RangeError: a name the store refuses, so no stored copy can exist;
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
  },
});

/** `attachment` with an ASCII fallback and the exact name in RFC 5987 form. */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${fallback}"; filename*=UTF-8''${
    encodeURIComponent(name)
  }`;
}
