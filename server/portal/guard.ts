/**
 * What the signed-in part of the portal requires of a request, for
 * routes/(admin)/_middleware.ts: a live session, and on every form post a
 * same-origin request carrying the session's CSRF token.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { sameSecret, type Session } from "./auth/sessions.ts";
import { type Context, HttpError } from "./define.ts";
import { readForm } from "./form.ts";
import { sameOrigin } from "./security.ts";

const logger = getLogger(["cyberbackup", "portal"]);

/** True for a request that gets JSON errors: the APIs, the event streams, or one that asks for JSON. */
export function wantsJson(req: Request): boolean {
  const path = new URL(req.url).pathname;
  return path.startsWith("/api/") || path.startsWith("/events/") ||
    (req.headers.get("accept") ?? "").startsWith("application/json");
}

/** The answer to a request without a session: 401 JSON, or a redirect to the sign-in page that comes back after it. */
export function signInFirst(ctx: Context): Response {
  if (wantsJson(ctx.req)) {
    return Response.json({ error: "Sign-in required" }, { status: 401 });
  }
  const next = ctx.req.method === "GET"
    ? `${ctx.url.pathname}${ctx.url.search}`
    : "/";
  const target = next === "/"
    ? "/login"
    : `/login?next=${encodeURIComponent(next)}`;
  return ctx.redirect(target);
}

/**
 * Throws a 403 {@link HttpError} unless the request comes from this site
 * and carries `session`'s CSRF token (form field `_csrf` or header `X-CSRF-Token`).
 */
export async function checkCsrf(ctx: Context, session: Session): Promise<void> {
  const form = await readForm(ctx.req);
  const submitted = typeof form._csrf === "string"
    ? form._csrf
    : ctx.req.headers.get("x-csrf-token") ?? undefined;
  if (sameOrigin(ctx.req) && sameSecret(session.csrf, submitted)) return;
  logger.warn("Form refused: missing or wrong CSRF token", {
    path: ctx.url.pathname,
  });
  throw new HttpError(
    403,
    "This form has expired or did not come from this site. Go back, reload the page and try again.",
  );
}
