/** `POST /trash/restore`: takes a version out of the trash (audited), then back to the page. */
import { actorOf } from "../../../server/portal/audit.ts";
import { define, redirect } from "../../../server/portal/define.ts";
import { readForm } from "../../../server/portal/form.ts";
import { historyOf } from "../../../server/portal/history.ts";
import { field, positiveInt } from "../../../server/portal/params.ts";
import { safeNext } from "../../../server/portal/security.ts";

export const handler = define.handlers<never>({
  async POST(ctx) {
    const { trash } = historyOf(ctx.state.deps);
    const form = await readForm(ctx.req);
    const id = positiveInt(field(form, "id"), 0);
    const back = new URL(safeNext(field(form, "back") ?? "/trash"), ctx.url);
    const restored = id > 0 &&
      trash.restore(id, actorOf(ctx), new Date().toISOString());
    back.searchParams.set("done", restored ? "restored" : "not-found");
    return redirect(`${back.pathname}${back.search}`);
  },
});
