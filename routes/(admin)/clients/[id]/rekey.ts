/**
 * Re-keys a client whose owner lost `me.info`: its keys are forgotten, its
 * id, name and history kept, and it may register again under its own id
 * with a new key (docs/protocol.md, "Flow", 1). Audited as "client.rekey".
 */
import { getLogger } from "@logtape/logtape";
import { define, redirect } from "../../../../server/portal/define.ts";
import { audit } from "../../../../server/portal/audit.ts";
import { parseClientId } from "../../../../server/portal/params.ts";

const logger = getLogger(["cyberbackup", "portal"]);

export const handler = define.handlers<never>({
  POST(ctx) {
    const id = parseClientId(ctx.params.id);
    const db = ctx.state.deps.db;
    const client = id && db.clients.get(id);
    if (!id || !client) return redirect("/clients?done=not-found");
    if (!db.clients.rekey(id, new Date().toISOString())) {
      return redirect(`/clients/${client.id}?done=no-key`);
    }
    audit(ctx, {
      action: "client.rekey",
      target: client.id,
      detail: JSON.stringify({ name: client.name }),
    });
    logger.info("Client {name} ({client}) re-keyed by administrator", {
      client: client.id,
      name: client.name,
      admin: ctx.state.session?.user,
    });
    return redirect(`/clients/${client.id}?done=rekeyed`);
  },
});
