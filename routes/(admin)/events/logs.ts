/** `GET /events/logs?level=`: the live log tail over SSE. */
import { define } from "../../../server/portal/define.ts";
import { logStream } from "../../../server/portal/sse.ts";
import { parseLevel } from "../../../shared/log_levels.ts";

export const handler = define.handlers<never>({
  GET: (ctx) =>
    logStream(ctx, parseLevel(ctx.url.searchParams.get("level")) ?? "info"),
});
