/**
 * The audit record of an administrator's act done through the portal: who
 * (the signed-in user), from where (the client's address, through trusted
 * proxies) and when.
 * @module
 */
import type { Context } from "./define.ts";

/** Appends one entry to `db.audit`; `detail` other than a string is stored as JSON. */
export function recordAudit(
  ctx: Context,
  entry: { action: string; target: string; detail?: unknown },
): void {
  const address = ctx.state.portal.auth.proxies.clientAddress(
    ctx.info.remoteAddr.hostname,
    ctx.req.headers.get("x-forwarded-for"),
  );
  const { detail } = entry;
  ctx.state.deps.db.audit.record({
    at: new Date().toISOString(),
    actor: ctx.state.session?.user ?? "unknown",
    address,
    action: entry.action,
    target: entry.target,
    detail: detail === undefined
      ? null
      : typeof detail === "string"
      ? detail
      : JSON.stringify(detail),
  });
}
