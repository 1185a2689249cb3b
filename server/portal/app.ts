/**
 * The admin portal as a Hono app: security headers, request timing,
 * static files, the routes under routes/ with sign-in and CSRF checks, and
 * room for other HTTP features (the browser client, the JSON API) through
 * `extend`. The only place that wires Hono to the route modules.
 * @module
 */
import { type Context, Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import { ISLANDS } from "../../browser/islands.ts";
import { Auth, type AuthOptions } from "./auth/auth.ts";
import type { Session } from "./auth/sessions.ts";
import { sameSecret } from "./auth/sessions.ts";
import type {
  Handler,
  PortalRuntime,
  RouteContext,
  RouteModule,
} from "./define.ts";
import { isPage } from "./define.ts";
import type { PortalDeps } from "./deps.ts";
import { registerIslands } from "./islands.ts";
import { HttpMetrics } from "./metrics.ts";
import { renderPage } from "./render.ts";
import { type MountedRoute, ROUTES } from "./routes.ts";
import { knownHost, sameOrigin, securityHeaders } from "./security.ts";
import { allowedNames, TrustedProxies } from "./address.ts";
import {
  boundedBodies,
  FORM_BODY_BYTES,
  FORM_BODY_IDLE_MS,
} from "./body_limit.ts";
import { LiveStreams } from "./sse.ts";
import { serveStatic } from "./static.ts";
import * as errorPage from "../../routes/_error.tsx";

export type { PortalDeps } from "./deps.ts";

const logger = getLogger(["cyberbackup", "portal"]);

registerIslands(ISLANDS);

/** Options of {@link createApp}. */
export interface AppOptions {
  /** Mounts more routes (the browser client, the JSON API) after the portal's own. */
  extend?: (app: Hono) => void;
  /** Open SSE streams; call `shutdown()` on it before `Deno.serve`'s `shutdown()`. */
  streams?: LiveStreams;
  /** Ends every live stream when aborted (the same as `streams.shutdown()`). */
  signal?: AbortSignal;
  /** Sessions and sign-in throttling, for tests. */
  auth?: AuthOptions;
}

/**
 * Builds the portal. Serve it with `Deno.serve({ hostname, port }, app.fetch)`:
 * the second argument of `fetch` carries the peer address used by sign-in throttling.
 */
export function createApp(deps: PortalDeps, options: AppOptions = {}): Hono {
  const runtime: PortalRuntime = {
    auth: new Auth(deps.db, {
      proxies: new TrustedProxies(deps.config.trustedProxy),
      ...options.auth,
    }),
    streams: options.streams ?? new LiveStreams(),
    http: new HttpMetrics(),
  };
  options.signal?.addEventListener("abort", () => runtime.streams.shutdown(), {
    once: true,
  });

  const app = new Hono();
  app.use("*", runtime.http.middleware());
  app.use("*", securityHeaders());
  app.use(
    "*",
    knownHost(allowedNames(deps.config.httpHost, deps.config.publicNames)),
  );
  // The JSON API bounds its own bodies: small JSON, and packets of their own size.
  app.use(
    "*",
    boundedBodies({
      maxBytes: FORM_BODY_BYTES,
      idleMs: FORM_BODY_IDLE_MS,
      exempt: (path) => path.startsWith("/api/v1/"),
    }),
  );
  app.get(
    "/static/*",
    (c) => serveStatic(c, c.req.path.slice("/static/".length)),
  );

  for (const route of ROUTES) {
    for (const [method, handler] of Object.entries(route.module.handler)) {
      app.on(
        method,
        route.path,
        (c) => dispatch(c, route, handler as Handler<unknown>, deps, runtime),
      );
    }
  }

  options.extend?.(app);

  app.notFound((c) => {
    if (wantsJson(c)) return c.json({ error: "Not found" }, 404);
    return html(
      c,
      errorPage,
      { status: 404, message: "There is no page at this address." },
      undefined,
      404,
    );
  });
  app.onError((error, c) => {
    logger.error("Portal request failed", {
      method: c.req.method,
      path: c.req.path,
      error,
    });
    if (wantsJson(c)) return c.json({ error: "Internal server error" }, 500);
    return html(
      c,
      errorPage,
      {
        status: 500,
        message: "Something went wrong. The error is in the log.",
      },
      undefined,
      500,
    );
  });
  return app;
}

async function dispatch(
  c: Context,
  route: MountedRoute,
  handler: Handler<unknown>,
  deps: PortalDeps,
  portal: PortalRuntime,
): Promise<Response> {
  const session = portal.auth.sessionOf(c);
  if (!route.public && !session) return signInFirst(c);
  if (c.req.method === "POST" && !route.ownCsrf && session) {
    const refusal = await checkCsrf(c, session);
    if (refusal) return refusal;
  }
  const ctx: RouteContext = {
    req: c.req.raw,
    url: new URL(c.req.url),
    params: c.req.param() as Record<string, string>,
    deps,
    session,
    hono: c,
    portal,
  };
  const result = await handler(ctx);
  if (!isPage(result)) return withContextHeaders(c, result);
  if (!route.module.default) {
    throw new TypeError(
      `Cannot render ${route.path}: its module has no page component`,
    );
  }
  return withContextHeaders(
    c,
    html(
      c,
      route.module as RouteModule<unknown>,
      result.data,
      session,
      result.status,
    ),
  );
}

/** Carries headers set through Hono's context (cookies, Retry-After) over to a Response the route built. */
function withContextHeaders(c: Context, response: Response): Response {
  void c.res; // makes Hono turn its prepared headers into a response that the setter merges from
  c.res = response;
  return c.res;
}

async function checkCsrf(
  c: Context,
  session: Session,
): Promise<Response | undefined> {
  const contentType = c.req.header("content-type") ?? "";
  const form = contentType.includes("form") ? await c.req.parseBody() : {};
  const submitted = typeof form._csrf === "string"
    ? form._csrf
    : c.req.header("x-csrf-token");
  if (sameOrigin(c.req.raw) && sameSecret(session.csrf, submitted)) {
    return undefined;
  }
  logger.warn("Form refused: missing or wrong CSRF token", {
    path: c.req.path,
  });
  return html(
    c,
    errorPage,
    {
      status: 403,
      message:
        "This form has expired or did not come from this site. Go back, reload the page and try again.",
    },
    session,
    403,
  );
}

function signInFirst(c: Context): Response {
  if (wantsJson(c)) return c.json({ error: "Sign-in required" }, 401);
  const url = new URL(c.req.url);
  const next = c.req.method === "GET" ? `${url.pathname}${url.search}` : "/";
  const target = next === "/"
    ? "/login"
    : `/login?next=${encodeURIComponent(next)}`;
  return c.redirect(target, 303);
}

function wantsJson(c: Context): boolean {
  return c.req.path.startsWith("/api/") || c.req.path.startsWith("/events/") ||
    (c.req.header("accept") ?? "").startsWith("application/json");
}

function html<D>(
  c: Context,
  module: Pick<RouteModule<D>, "default">,
  data: D,
  session: Session | undefined,
  status: number,
) {
  const body = renderPage(module, { data, url: new URL(c.req.url), session });
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
    },
  });
}
