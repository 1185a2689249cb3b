/** `GET /api/v1/restore/list`: every kept version, as sealed protocol frames (1101). */
import { define } from "../../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  GET: (ctx) => ctx.state.deps.backupApi!.restoreList(ctx.req),
});
