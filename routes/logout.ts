/**
 * Sign-out (POST only, CSRF-checked like every form). With `everywhere=1`
 * it ends every session of this administrator, on every browser.
 */
import { define, redirect } from "../server/portal/define.ts";
import { field } from "../server/portal/params.ts";

export const handler = define.handlers<never>({
  async POST(ctx) {
    const form = await ctx.hono.req.parseBody();
    if (field(form, "everywhere") === "1" && ctx.session) {
      ctx.portal.auth.signOutOthers(ctx.hono, ctx.session);
    }
    ctx.portal.auth.signOut(ctx.hono);
    return redirect("/login");
  },
});
