/** `GET /events/stats`: live statistics over SSE for the dashboard's islands. */
import { define } from "../../../server/portal/define.ts";
import { statsStream } from "../../../server/portal/sse.ts";

export const handler = define.handlers<never>({
  GET: (ctx) => statsStream(ctx),
});
