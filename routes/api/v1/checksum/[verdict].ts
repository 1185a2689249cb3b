/** `POST /api/v1/checksum/ok|resend|abort`: the client's verdict on the server's checksum. */
import { define } from "../../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  POST: (ctx) =>
    ctx.state.deps.backupApi!.checksum(ctx.req, ctx.params.verdict),
});
