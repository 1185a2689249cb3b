/** `GET /events/logs?level=`: the live log tail over SSE. */
import { define } from "../../server/portal/define.ts";
import { logStream } from "../../server/portal/sse.ts";
import { parseLevel } from "../../server/stats/log_buffer.ts";

export const handler = define.handlers<never>({
  GET: (ctx) =>
    logStream(
      ctx.hono,
      ctx.deps,
      ctx.portal.streams,
      parseLevel(ctx.url.searchParams.get("level")) ?? "info",
      () => ctx.portal.auth.sessions.peek(ctx.session?.id) !== undefined,
    ),
});
