/**
 * Records an administrator's act in the audit log (`db.audit`): who (the
 * signed-in user), what, to whom, when, and from where (the client address,
 * through trusted proxies). A failure to record is logged, never thrown:
 * the act itself has already happened.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Context } from "./define.ts";
import { honoOf } from "./hono_context.ts";

const logger = getLogger(["cyberbackup", "portal", "audit"]);

/** The administrator behind a request and where the request came from. */
export interface PortalActor {
  actor: string;
  address: string | null;
}

/** What was done: a dotted verb ("client.delete"), its target and particulars. */
export interface Act {
  action: string;
  /** e.g. a client id in hex or "<client hex>/<name>". */
  target?: string;
  /** Free text or JSON; never a secret. */
  detail?: string;
  /** Who, when there is no session yet (a sign-in). */
  actor?: string;
}

/** The signed-in administrator of a request and its client address. */
export function actorOf(ctx: Context): PortalActor {
  return {
    actor: ctx.state.session?.user ?? "unknown",
    address: ctx.state.portal.auth.proxies.of(honoOf(ctx)),
  };
}

/** Appends `act` by the request's administrator to the audit log. */
export function audit(ctx: Context, act: Act): void {
  try {
    const by = actorOf(ctx);
    ctx.state.deps.db.audit.record({
      at: new Date().toISOString(),
      actor: act.actor ?? by.actor,
      address: by.address,
      action: act.action,
      target: act.target ?? null,
      detail: act.detail ?? null,
    });
  } catch (error) {
    logger.error("Cannot record {action} in the audit log: {error}", {
      action: act.action,
      error,
    });
  }
}
