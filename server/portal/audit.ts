/**
 * Who does an administrator's act through the portal, and its audit log
 * entry: the signed-in user, from the client address behind trusted
 * proxies, what and to what.
 * @module
 */
import type { Context } from "./define.ts";
import { honoOf } from "./hono_context.ts";

/** The administrator behind a request and where the request came from. */
export interface PortalActor {
  actor: string;
  address: string | null;
}

/** An act to record: a dotted action, its target and particulars. */
export interface PortalAct {
  /** e.g. "version.pin". */
  action: string;
  /** e.g. "<client hex>/<name>". */
  target: string | null;
  /** Free text or JSON. */
  detail?: string | null;
}

/** The signed-in administrator of a request and its client address. */
export function actorOf(ctx: Context): PortalActor {
  return {
    actor: ctx.state.session?.user ?? "unknown",
    address: ctx.state.portal.auth.proxies.of(honoOf(ctx)),
  };
}

/** Appends `act` to the audit log as done now by the request's administrator; returns its id. */
export function recordAct(ctx: Context, act: PortalAct): number {
  return ctx.state.deps.db.audit.record({
    at: new Date().toISOString(),
    ...actorOf(ctx),
    action: act.action,
    target: act.target,
    detail: act.detail ?? null,
  });
}
