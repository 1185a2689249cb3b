/** Deletes a client: its stored files, its file rows and the client row. */
import { getLogger } from "@logtape/logtape";
import { define, redirect } from "../../../../server/portal/define.ts";
import { parseClientId } from "../../../../server/portal/params.ts";
import { ignoreMissing } from "../../files/delete.ts";
import { audit } from "../../../../server/portal/audit.ts";

const logger = getLogger(["cyberbackup", "portal"]);

export const handler = define.handlers<never>({
  async POST(ctx) {
    const id = parseClientId(ctx.params.id);
    const db = ctx.state.deps.db;
    const client = id && db.clients.get(id);
    if (!id || !client) return redirect("/clients?done=not-found");
    await ctx.state.deps.store.removeClient(id).catch(ignoreMissing);
    db.clients.delete(id);
    ctx.state.deps.stats.resync(db.status.counts());
    audit(ctx, {
      action: "client.delete",
      target: client.id,
      detail: `${client.name}: ${client.files} files`,
    });
    logger.info("Client deleted by administrator", {
      client: client.id,
      name: client.name,
      admin: ctx.state.session?.user,
    });
    return redirect("/clients?done=client-deleted");
  },
});
