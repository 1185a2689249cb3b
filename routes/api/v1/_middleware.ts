/**
 * The browser client's JSON API: no admin sign-in (each call carries its
 * own bearer token), but nothing a foreign page could make a browser send
 * (see `refuseForeign`), and a 404 when the server runs without the API.
 */
import { refuseForeign } from "../../../server/api/mod.ts";
import { define, HttpError } from "../../../server/portal/define.ts";

export default define.middleware(async (ctx) => {
  if (!ctx.state.deps.backupApi) throw new HttpError(404);
  return refuseForeign(ctx.req) ?? await ctx.next();
});
