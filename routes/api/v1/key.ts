/** `POST /api/v1/key`: the client's public key; answers the encrypted AES key. */
import { define } from "../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  POST: (ctx) => ctx.state.deps.backupApi!.key(ctx.req),
});
