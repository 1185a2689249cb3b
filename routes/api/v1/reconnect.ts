/** `POST /api/v1/reconnect`: a known client back, proving its private key. */
import { define } from "../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  POST: (ctx) =>
    ctx.state.deps.backupApi!.reconnect(ctx.req, ctx.info.remoteAddr.hostname),
});
