/** "Send test": a test notification over every configured channel, waited for, then the log. */
import { define, redirect } from "../../../server/portal/define.ts";
import { notifierOf } from "../../../server/ops/runtime.ts";
import { audit } from "../../../server/portal/audit.ts";

export const handler = define.handlers<never>({
  async POST(ctx) {
    const { deps } = ctx.state;
    const notifier = deps.ops?.notifier ?? notifierOf(deps.db);
    audit(ctx, { action: "alerts.test" });
    const sent = notifier.notify({
      type: "test",
      by: ctx.state.session?.user ?? "?",
    });
    // Retries go on in the background past this wait; the log shows them.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      sent,
      new Promise((r) => timer = setTimeout(r, 15_000)),
    ]);
    clearTimeout(timer);
    return redirect("/notifications?done=test-sent");
  },
});
