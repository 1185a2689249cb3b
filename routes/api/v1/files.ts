/** `GET /api/v1/files`: the client's stored files, for a session that proves its key. */
import { define } from "../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  GET: (ctx) => ctx.state.deps.backupApi!.files(ctx.req),
});
