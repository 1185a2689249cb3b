/** Sign-out (POST only, CSRF-checked like every form). */
import { define, redirect } from "../server/portal/define.ts";

export const handler = define.handlers<never>({
  POST(ctx) {
    ctx.portal.auth.signOut(ctx.hono);
    return redirect("/login");
  },
});
