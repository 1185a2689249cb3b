/** Sets or clears a client's own expected backup interval (seconds; empty: the default). */
import { getLogger } from "@logtape/logtape";
import { define, redirect } from "../../../../server/portal/define.ts";
import { readForm } from "../../../../server/portal/form.ts";
import { field, parseClientId } from "../../../../server/portal/params.ts";
import { checkSetting } from "../../../../server/ops/settings.ts";
import { audit } from "../../../../server/portal/audit.ts";

const logger = getLogger(["cyberbackup", "portal"]);

export const handler = define.handlers<never>({
  async POST(ctx) {
    const id = parseClientId(ctx.params.id);
    const text = (field(await readForm(ctx.req), "interval") ?? "").trim();
    const hex = ctx.params.id.toLowerCase();
    let seconds: number | null = null;
    if (text !== "") {
      const checked = checkSetting("ops.interval_seconds", text);
      if ("error" in checked) return redirect(`/clients/${hex}?done=not-valid`);
      seconds = Number(checked.value);
    }
    if (!id || !ctx.state.deps.db.ops.setInterval(id, seconds)) {
      return redirect("/clients?done=not-found");
    }
    audit(ctx, {
      action: "client.interval",
      target: hex,
      detail: seconds === null ? "default" : `${seconds} s`,
    });
    logger.info("Client backup interval set by administrator", {
      client: hex,
      seconds,
      admin: ctx.state.session?.user,
    });
    ctx.state.deps.ops?.evaluate();
    return redirect(`/clients/${hex}?done=interval-saved`);
  },
});
