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

/** What was done: a dotted verb ("client.delete"), its target and particulars. */
export interface Act {
  action: string;
  target?: string;
  /** Free text or JSON; never a secret. */
  detail?: string;
  /** Who, when there is no session yet (a sign-in). */
  actor?: string;
}

/** Appends `act` by the request's administrator to the audit log. */
export function audit(ctx: Context, act: Act): void {
  try {
    ctx.state.deps.db.audit.record({
      at: new Date().toISOString(),
      actor: act.actor ?? ctx.state.session?.user ?? "unknown",
      address: ctx.state.portal.auth.proxies.of(honoOf(ctx)),
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
