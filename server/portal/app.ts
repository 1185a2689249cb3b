/**
 * The admin portal as a Hono app: security headers, request timing,
 * static files, and the routes under routes/ from the generated manifest,
 * each behind the `_middleware.ts` files of its folders. The only place
 * that wires Hono to the route modules: handlers get the Fresh-like
 * context of define.ts.
 * @module
 */
import { type Context as HonoContext, Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import { ISLANDS } from "../../browser/islands.ts";
import { Auth, type AuthOptions } from "./auth/auth.ts";
import type { Session } from "./auth/sessions.ts";
import {
  type Context,
  type Handler,
  HttpError,
  isPage,
  type PortalRuntime,
  type PortalState,
  redirect,
  type RouteModule,
} from "./define.ts";
import type { PortalDeps } from "./deps.ts";
import { type FileRoute, fileRoutes } from "./file_routes.ts";
import { wantsJson } from "./guard.ts";
import { bindHono } from "./hono_context.ts";
import { registerIslands } from "./islands.ts";
import { MANIFEST } from "./manifest.gen.ts";
import { HttpMetrics } from "./metrics.ts";
import { renderPage } from "./render.ts";
import { knownHost, securityHeaders } from "./security.ts";
import { allowedNames, remoteAddress, TrustedProxies } from "./address.ts";
import {
  boundedBodies,
  FORM_BODY_BYTES,
  FORM_BODY_IDLE_MS,
} from "./body_limit.ts";
import { LiveStreams } from "./sse.ts";
import { serveStatic } from "./static.ts";

export type { PortalDeps } from "./deps.ts";

const logger = getLogger(["cyberbackup", "portal"]);

registerIslands(ISLANDS);

const manifest = fileRoutes(MANIFEST);

/** The routes under routes/, from the manifest dev.ts generates. */
export const ROUTES: readonly FileRoute[] = manifest.routes;

/** routes/_error.tsx: the 403, 404 and 500 pages. */
const errorPage = manifest.errorPage;

/** Options of {@link createApp}. */
export interface AppOptions {
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
    for (
      const [method, handler] of Object.entries(route.module.handler ?? {})
    ) {
      app.on(
        method,
        route.pattern,
        (c) => dispatch(c, route, handler, deps, runtime),
      );
    }
  }

  app.notFound((c) => {
    if (wantsJson(c.req.raw)) return c.json({ error: "Not found" }, 404);
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
    if (wantsJson(c.req.raw)) {
      return c.json({ error: "Internal server error" }, 500);
    }
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
  c: HonoContext,
  route: FileRoute,
  handler: Handler<unknown>,
  deps: PortalDeps,
  portal: PortalRuntime,
): Promise<Response> {
  const state: PortalState = { deps, portal };
  const chain = [...route.middlewares];
  const ctx: Context = {
    req: c.req.raw,
    url: new URL(c.req.url),
    params: c.req.param() as Record<string, string>,
    route: route.pattern,
    info: { remoteAddr: { hostname: remoteAddress(c) } },
    state,
    next: () => {
      const middleware = chain.shift();
      return Promise.resolve(middleware ? middleware(ctx) : answer());
    },
    redirect,
  };
  const answer = async () => {
    const result = await handler(ctx);
    if (!isPage(result)) return result;
    if (!route.module.default) {
      throw new TypeError(
        `Cannot render ${route.pattern}: its module has no page component`,
      );
    }
    const response = html(
      c,
      route.module,
      result.data,
      state.session,
      result.status,
    );
    new Headers(result.headers).forEach((value, name) =>
      response.headers.set(name, value)
    );
    return response;
  };
  bindHono(ctx, c);
  state.session = portal.auth.sessionOf(ctx);
  try {
    return withContextHeaders(c, await ctx.next());
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    if (error.status === 404) return c.notFound();
    return html(
      c,
      errorPage,
      { status: error.status, message: error.message },
      state.session,
      error.status,
    );
  }
}

/** Carries headers set through Hono's context (cookies) over to a Response the route built. */
function withContextHeaders(c: HonoContext, response: Response): Response {
  void c.res; // makes Hono turn its prepared headers into a response that the setter merges from
  c.res = response;
  return c.res;
}

function html<D>(
  c: HonoContext,
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
