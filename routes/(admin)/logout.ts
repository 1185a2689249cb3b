/**
 * Sign-out (POST only, CSRF-checked like every form). With `everywhere=1`
 * it ends every session of this administrator, on every browser.
 */
import { define, redirect } from "../../server/portal/define.ts";
import { readForm } from "../../server/portal/form.ts";
import { field } from "../../server/portal/params.ts";
import { audit } from "../../server/portal/audit.ts";

export const handler = define.handlers<never>({
  async POST(ctx) {
    const form = await readForm(ctx.req);
    if (field(form, "everywhere") === "1" && ctx.state.session) {
      const ended = ctx.state.portal.auth.signOutOthers(
        ctx,
        ctx.state.session,
      );
      audit(ctx, {
        action: "auth.sign-out-everywhere",
        detail: `${ended} other sessions ended`,
      });
    }
    ctx.state.portal.auth.signOut(ctx);
    return redirect("/login");
  },
});
