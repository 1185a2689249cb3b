/** `POST /api/v1/restore/proof`: the session proves it holds its AES key (1100). */
import { define } from "../../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  POST: (ctx) => ctx.state.deps.backupApi!.restoreProof(ctx.req),
});
