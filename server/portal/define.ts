/**
 * Fresh's page contract without Fresh: a route module exports `handler`
 * (one function per HTTP method) that returns a Response or `page(data)`,
 * and a default component that renders `data`. Keeping this shape lets the
 * portal move to Fresh itself one day.
 * @module
 */
import type { Context } from "hono";
import type { ComponentChildren, VNode } from "preact";
import type { Auth } from "./auth/auth.ts";
import type { Session } from "./auth/sessions.ts";
import type { PortalDeps } from "./deps.ts";
import type { HttpMetrics } from "./metrics.ts";
import type { LiveStreams } from "./sse.ts";

/** Per-portal machinery that route handlers reach through `ctx.portal`. */
export interface PortalRuntime {
  auth: Auth;
  streams: LiveStreams;
  http: HttpMetrics;
}

/** What a route handler gets. */
export interface RouteContext {
  req: Request;
  url: URL;
  params: Record<string, string>;
  deps: PortalDeps;
  /** The signed-in administrator; undefined only on public routes (sign-in). */
  session: Session | undefined;
  /** Hono's context, for cookies and the like. */
  hono: Context;
  portal: PortalRuntime;
}

const PAGE = Symbol("page");

/** Data for the page component, with the HTTP status to send. */
export interface PageResult<D> {
  readonly [PAGE]: true;
  data: D;
  status: number;
}

/** Marks `data` as the input of the route's page component. */
export function page<D>(
  data: D,
  init: { status?: number } = {},
): PageResult<D> {
  return { [PAGE]: true, data, status: init.status ?? 200 };
}

/** True for a value that {@link page} made. */
export function isPage<D>(value: unknown): value is PageResult<D> {
  return typeof value === "object" && value !== null && PAGE in value;
}

/** One method's handler. */
export type Handler<D> = (
  ctx: RouteContext,
) => Response | PageResult<D> | Promise<Response | PageResult<D>>;

/** The `handler` export of a route module. */
export type Handlers<D> = Partial<Record<"GET" | "POST", Handler<D>>>;

/** What the page component gets. */
export interface PageProps<D> {
  data: D;
  url: URL;
  session: Session | undefined;
  children?: ComponentChildren;
}

/** The shape of a module under routes/. */
export interface RouteModule<D> {
  handler: Handlers<D>;
  default: (props: PageProps<D>) => VNode | null;
}

/** Typed helpers, as Fresh's `createDefine()` gives. */
export const define = {
  handlers<D>(handlers: Handlers<D>): Handlers<D> {
    return handlers;
  },
  page<D>(
    component: (props: PageProps<D>) => VNode | null,
  ): (props: PageProps<D>) => VNode | null {
    return component;
  },
};

/** A 303 redirect, the answer to a successful form post. */
export function redirect(location: string, status: 302 | 303 = 303): Response {
  return new Response(null, { status, headers: { location } });
}
