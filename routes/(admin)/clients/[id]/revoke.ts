/** Revokes a client's key: its next reconnect gets 1606 and it must register again. */
import { getLogger } from "@logtape/logtape";
import { define, redirect } from "../../../../server/portal/define.ts";
import { parseClientId } from "../../../../server/portal/params.ts";
import { audit } from "../../../../server/portal/audit.ts";

const logger = getLogger(["cyberbackup", "portal"]);

export const handler = define.handlers<never>({
  POST(ctx) {
    const id = parseClientId(ctx.params.id);
    if (!id || !ctx.state.deps.db.clients.revokeKey(id)) {
      return redirect("/clients?done=not-found");
    }
    audit(ctx, {
      action: "client.revoke",
      target: ctx.params.id.toLowerCase(),
    });
    logger.info("Client key revoked by administrator", {
      client: ctx.params.id,
      admin: ctx.state.session?.user,
    });
    return redirect(`/clients/${ctx.params.id.toLowerCase()}?done=key-revoked`);
  },
});
