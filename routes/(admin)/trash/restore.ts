/** `POST /trash/restore`: takes a version out of the trash (audited), then back to the page. */
import { actorOf } from "../../../server/portal/audit.ts";
import { define } from "../../../server/portal/define.ts";
import { readForm, redirectBack } from "../../../server/portal/form.ts";
import { historyOf } from "../../../server/portal/history.ts";
import { field, positiveInt } from "../../../server/portal/params.ts";

export const handler = define.handlers<never>({
  async POST(ctx) {
    const { trash } = historyOf(ctx.state.deps);
    const form = await readForm(ctx.req);
    const id = positiveInt(field(form, "id"), 0);
    const restored = id > 0 &&
      trash.restore(id, actorOf(ctx), new Date().toISOString());
    return redirectBack(
      ctx,
      form,
      "/trash",
      restored ? "restored" : "not-found",
    );
  },
});
