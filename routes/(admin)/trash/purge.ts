/**
 * `POST /trash/purge`: deletes trashed versions for good before their date
 * (one by id, or all of a client or of the store), only with the confirm
 * box ticked; audited as "trash.purge".
 */
import { actorOf } from "../../../server/portal/audit.ts";
import { define } from "../../../server/portal/define.ts";
import { readForm, redirectBack } from "../../../server/portal/form.ts";
import { historyOf } from "../../../server/portal/history.ts";
import {
  field,
  parseClientId,
  positiveInt,
} from "../../../server/portal/params.ts";

export const handler = define.handlers<never>({
  async POST(ctx) {
    const { trash } = historyOf(ctx.state.deps);
    const form = await readForm(ctx.req);
    if (field(form, "confirm") !== "yes") {
      return redirectBack(ctx, form, "/trash", "purge-unconfirmed");
    }
    const client = parseClientId(field(form, "client"));
    const id = positiveInt(field(form, "id"), 0);
    const target = field(form, "all") === "yes"
      ? client ? { clientId: client } : "all" as const
      : { ids: id > 0 ? [id] : [] };
    const purged = trash.purge(target, actorOf(ctx), new Date().toISOString());
    return redirectBack(
      ctx,
      form,
      "/trash",
      purged > 0 ? "purged" : "not-found",
    );
  },
});
