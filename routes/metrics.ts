/**
 * `GET /metrics` in Prometheus text format. No sign-in (scrapers have no
 * session): it is open when no token is configured, since the HTTP side binds
 * 127.0.0.1 by default and the figures name no client (unless
 * `--client-metrics on` adds per-client series: then set a token); with
 * `PortalDeps.metricsToken` set it requires `Authorization: Bearer <token>`.
 */
import { sameSecret } from "../server/portal/auth/sessions.ts";
import { define } from "../server/portal/define.ts";
import { renderMetrics } from "../server/portal/metrics.ts";
import { renderHealthMetrics } from "../server/ops/metrics.ts";
import { healthNow } from "../server/ops/portal.ts";

export const handler = define.handlers<never>({
  GET(ctx) {
    const token = ctx.state.deps.metricsToken;
    if (token) {
      const header = ctx.req.headers.get("authorization") ?? "";
      const given = header.startsWith("Bearer ") ? header.slice(7) : undefined;
      if (!sameSecret(token, given)) {
        return new Response("Bearer token required\n", {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="metrics"' },
        });
      }
    }
    return new Response(
      renderMetrics(ctx.state.deps.stats.snapshot(), ctx.state.portal.http) +
        renderHealthMetrics(
          healthNow(ctx.state.deps),
          ctx.state.deps.config.clientMetrics,
        ),
      {
        headers: {
          "content-type": "text/plain; version=0.0.4; charset=utf-8",
          "cache-control": "no-store",
        },
      },
    );
  },
});
