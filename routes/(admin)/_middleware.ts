/**
 * Everything under routes/(admin)/ is for signed-in administrators: no
 * session is a redirect to the sign-in page (401 for the JSON routes), and
 * every form post must carry the session's CSRF token from this site.
 */
import { define } from "../../server/portal/define.ts";
import { checkCsrf, signInFirst } from "../../server/portal/guard.ts";

export default define.middleware(async (ctx) => {
  const session = ctx.state.session;
  if (!session) return signInFirst(ctx);
  if (ctx.req.method === "POST") await checkCsrf(ctx, session);
  return await ctx.next();
});
