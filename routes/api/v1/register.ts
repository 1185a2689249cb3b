/** `POST /api/v1/register`: a new client name; answers its id and a session token. */
import { define } from "../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  POST: (ctx) =>
    ctx.state.deps.backupApi!.register(ctx.req, ctx.info.remoteAddr.hostname),
});
