/**
 * The engine under a handler's context: app.ts binds each request's Hono
 * context to the Fresh-like one it gives handlers, so that portal machinery
 * (cookies, streams) can reach Hono while route files never do.
 * @module
 */
import type { Context as HonoContext } from "hono";
import type { Context } from "./define.ts";

const bound = new WeakMap<Context, HonoContext>();

/** Records that `ctx` is served by Hono's `c`. */
export function bindHono(ctx: Context, c: HonoContext): void {
  bound.set(ctx, c);
}

/** The Hono context serving `ctx`; throws for a context app.ts did not make. */
export function honoOf(ctx: Context): HonoContext {
  const c = bound.get(ctx);
  if (!c) throw new TypeError("Cannot find the request behind this context");
  return c;
}
