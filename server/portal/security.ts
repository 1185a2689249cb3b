/**
 * Security headers for every response, and the same-origin check for
 * state-changing requests. Scripts only from our own origin, never inline;
 * the portal may not be framed.
 * @module
 */
import type { MiddlewareHandler } from "hono";

/**
 * `style-src-attr 'unsafe-inline'` allows style attributes (the island
 * wrapper's `display:contents`), not style elements or scripts.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Adds the security headers (unless a route already set its own CSP). */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    if (!headers.has("content-security-policy")) {
      headers.set("content-security-policy", CONTENT_SECURITY_POLICY);
    }
    headers.set("x-content-type-options", "nosniff");
    headers.set("x-frame-options", "DENY");
    headers.set("referrer-policy", "same-origin");
    headers.set("cross-origin-opener-policy", "same-origin");
    headers.set(
      "permissions-policy",
      "camera=(), microphone=(), geolocation=()",
    );
  };
}

/** False when a browser says the request comes from another origin. */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  return origin === new URL(request.url).origin;
}

/** A local path to return to after sign-in; anything else becomes "/". */
export function safeNext(next: string | null | undefined): string {
  if (
    !next || !next.startsWith("/") || next.startsWith("//") ||
    next.startsWith("/\\")
  ) return "/";
  return next;
}
