/**
 * Fresh 2's route contract without Fresh: a route module exports `handler`
 * (one function per HTTP method) that returns a Response or `page(data)`,
 * and a default component that renders `data`; a `_middleware.ts` exports
 * a default middleware that calls `ctx.next()`. Handlers get a context
 * shaped like Fresh's and never see the engine underneath (Hono), so moving
 * to Fresh itself is a change of imports.
 * @module
 */
import type { ComponentChildren, VNode } from "preact";
import type { Auth } from "./auth/auth.ts";
import type { Session } from "./auth/sessions.ts";
import type { PortalDeps } from "./deps.ts";
import type { HttpMetrics } from "./metrics.ts";
import type { LiveStreams } from "./sse.ts";

/** Per-portal machinery that handlers reach through `ctx.state.portal`. */
export interface PortalRuntime {
  auth: Auth;
  streams: LiveStreams;
  http: HttpMetrics;
}

/** What every request carries in `ctx.state`, set before any middleware runs. */
export interface PortalState {
  deps: PortalDeps;
  portal: PortalRuntime;
  /** The signed-in administrator, from the session cookie; undefined when none. */
  session?: Session;
}

/** What a handler or middleware gets (Fresh's `Context`). */
export interface Context<S = PortalState> {
  readonly req: Request;
  readonly url: URL;
  /** The matched route's parameters (`[id].tsx` gives `params.id`). */
  readonly params: Record<string, string>;
  /** The matched route pattern, as `/clients/:id`. */
  readonly route: string;
  /** The peer of the connection. */
  readonly info: { remoteAddr: { hostname: string } };
  state: S;
  /** Runs the next middleware, or the route's handler after the last one. */
  next(): Promise<Response>;
  /** A redirect to `location` (303 by default: the answer to a form post). */
  redirect(location: string, status?: 302 | 303): Response;
}

/**
 * Thrown by a handler or middleware to answer with the error page (a 404
 * is the portal's not-found answer, JSON under `/api/`).
 */
export class HttpError extends Error {
  constructor(readonly status: number, message?: string) {
    super(message ?? `HTTP ${status}`);
    this.name = "HttpError";
  }
}

const PAGE = Symbol("page");

/** Data for the page component, with the HTTP status and headers to send. */
export interface PageResult<D> {
  readonly [PAGE]: true;
  data: D;
  status: number;
  headers?: HeadersInit;
}

/** Marks `data` as the input of the route's page component. */
export function page<D>(
  data: D,
  init: { status?: number; headers?: HeadersInit } = {},
): PageResult<D> {
  return {
    [PAGE]: true,
    data,
    status: init.status ?? 200,
    ...init.headers && { headers: init.headers },
  };
}

/** True for a value that {@link page} made. */
export function isPage<D>(value: unknown): value is PageResult<D> {
  return typeof value === "object" && value !== null && PAGE in value;
}

/** One method's handler. */
export type Handler<D> = (
  ctx: Context,
) => Response | PageResult<D> | Promise<Response | PageResult<D>>;

/** The `handler` export of a route module. */
export type Handlers<D> = Partial<
  Record<"GET" | "POST" | "DELETE", Handler<D>>
>;

/** The default export of a `_middleware.ts`. */
export type Middleware = (ctx: Context) => Response | Promise<Response>;

/** What the page component gets. */
export interface PageProps<D> {
  data: D;
  url: URL;
  session: Session | undefined;
  children?: ComponentChildren;
}

/** A page component. */
export type PageComponent<D> = (props: PageProps<D>) => VNode | null;

/** The shape of a route module under routes/. */
export interface RouteModule<D> {
  handler?: Handlers<D>;
  default?: PageComponent<D>;
}

/** Typed helpers, as Fresh's `createDefine()` gives. */
export const define = {
  handlers<D>(handlers: Handlers<D>): Handlers<D> {
    return handlers;
  },
  page<D>(component: PageComponent<D>): PageComponent<D> {
    return component;
  },
  middleware(middleware: Middleware): Middleware {
    return middleware;
  },
};

/** A 303 redirect, the answer to a successful form post. */
export function redirect(location: string, status: 302 | 303 = 303): Response {
  return new Response(null, { status, headers: { location } });
}
