/** `DELETE /api/v1/session`: ends the session, dropping an upload in flight. */
import { define } from "../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  DELETE: (ctx) => ctx.state.deps.backupApi!.endSession(ctx.req),
});
