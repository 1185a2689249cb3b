/** `GET /health`: no sign-in; 200 when the TCP listener and the database are up, else 503. */
import { define } from "../server/portal/define.ts";

export const handler = define.handlers<never>({
  GET(ctx) {
    const health = ctx.state.deps.health();
    const ok = health.tcp && health.database;
    return Response.json(
      {
        status: ok ? "ok" : "unavailable",
        tcp: health.tcp,
        database: health.database,
        version: ctx.state.deps.version,
      },
      { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } },
    );
  },
});
