/** `GET /api/v1/restore/file`: one version, as sealed protocol frames (1102). */
import { define } from "../../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  GET: (ctx) => ctx.state.deps.backupApi!.restoreFile(ctx.req),
});
