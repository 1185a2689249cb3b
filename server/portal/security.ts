/**
 * Security headers for every response, and the same-origin check for
 * state-changing requests. Scripts only from our own origin, never inline;
 * the portal may not be framed.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { getLogger } from "@logtape/logtape";
import { hostAllowed } from "./address.ts";

const logger = getLogger(["cyberbackup", "portal"]);

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

/**
 * False when a browser says the request comes from another origin. Only the
 * host and port are compared: behind a proxy that terminates TLS the page is
 * https while the request reaching us is http.
 */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") &&
      url.host === new URL(request.url).host;
  } catch {
    return false; // "null" (a sandboxed or file page) or garbage
  }
}

/**
 * A path on this site to return to after sign-in, rebuilt from the parsed
 * URL; "/" for anything that would leave the origin (`//evil`, `/\\evil`,
 * a tab or newline that a parser drops to make `//evil`) or that is not a path.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/")) return "/";
  const base = "http://portal.invalid";
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return "/";
  }
  if (url.origin !== base) return "/";
  // Normalising can make a path that leaves the origin: "/.//evil" → "//evil".
  if (/^\/[/\\]/.test(url.pathname)) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * Answers 421 to a request whose `Host` is not one of `names` (or an IP
 * address): a page on a rebound DNS name must not reach the portal or API.
 */
export function knownHost(names: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (hostAllowed(host, names)) return await next();
    logger.warn("Request refused: unknown Host", {
      host: host.slice(0, 100),
      path: c.req.path,
    });
    return c.text(
      "This server does not answer to that host name (see --public-name).",
      421,
    );
  };
}
