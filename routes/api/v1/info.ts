/** `GET /api/v1/info`: what a client must know before it starts. */
import { define } from "../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  GET: (ctx) => ctx.state.deps.backupApi!.info(ctx.req),
});
