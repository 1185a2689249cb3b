/** `POST /api/v1/packet`: one packet of a file's ciphertext, as the raw body. */
import { define } from "../../../server/portal/define.ts";

export const handler = define.handlers<never>({
  POST: (ctx) => ctx.state.deps.backupApi!.packet(ctx.req),
});
