/**
 * Deletes a stored file: every kept version of it goes to the trash (so the
 * name leaves the files list and the restore list, and GC frees it once the
 * trash is purged); a file without history loses its row and copy at once.
 * Then returns to the page it was deleted from.
 */
import { getLogger } from "@logtape/logtape";
import { actorOf, audit } from "../../../server/portal/audit.ts";
import { define } from "../../../server/portal/define.ts";
import { readForm, redirectBack } from "../../../server/portal/form.ts";
import { field, parseClientId } from "../../../server/portal/params.ts";

const logger = getLogger(["cyberbackup", "portal"]);

/**
 * A stored copy that is already gone, or whose name the store refuses (so
 * it cannot exist), is not an error when deleting it.
 */
export function ignoreMissing(error: unknown): void {
  if (!(error instanceof Deno.errors.NotFound || error instanceof RangeError)) {
    throw error;
  }
}

export const handler = define.handlers<never>({
  async POST(ctx) {
    const form = await readForm(ctx.req);
    const client = parseClientId(field(form, "client"));
    const name = field(form, "name") ?? "";
    const db = ctx.state.deps.db;
    if (!client || !db.files.get(client, name)) {
      return redirectBack(ctx, form, "/files", "not-found");
    }
    const versions = db.versions.list(client, name);
    const trash = ctx.state.deps.history?.trash;
    if (versions.length > 0 && trash) {
      const by = actorOf(ctx);
      const now = new Date().toISOString();
      for (const version of versions) trash.trash(version.id, by, now);
    } else {
      await ctx.state.deps.store.remove(client, name).catch(ignoreMissing);
      db.files.delete(client, name);
    }
    audit(ctx, {
      action: "file.delete",
      target: `${field(form, "client")}/${name}`,
      detail: JSON.stringify({ versionsTrashed: versions.length }),
    });
    ctx.state.deps.stats.resync(db.status.counts());
    logger.info("File deleted by administrator", {
      client: field(form, "client"),
      file: name,
      admin: ctx.state.session?.user,
    });
    return redirectBack(ctx, form, "/files", "file-deleted");
  },
});
