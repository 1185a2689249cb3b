/**
 * Sign-in, sign-out and session cookies for the portal. Cookies are
 * HttpOnly and SameSite=Strict (Secure when served over HTTPS). The sign-in
 * form has no session yet, so its CSRF token is a double-submit cookie.
 * @module
 */
import type { Context } from "../define.ts";
import { honoOf } from "../hono_context.ts";
import type { Context as HonoContext } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { getLogger } from "@logtape/logtape";
import type { BackupStorage } from "../../storage/types.ts";
import {
  DEFAULT_COST,
  hashPasswordSync,
  type ScryptCost,
  verifyPassword,
} from "./password.ts";
import { sameSecret, type Session, SessionStore, token } from "./sessions.ts";
import { SignInThrottle } from "./throttle.ts";
import { TrustedProxies } from "../address.ts";

export const SESSION_COOKIE = "cb_session";
export const LOGIN_COOKIE = "cb_login";

const logger = getLogger(["cyberbackup", "portal", "auth"]);

/** How a sign-in attempt ended. */
export type SignInResult =
  | { ok: true; session: Session }
  | { ok: false; reason: "throttled"; retryAfterMs: number }
  | { ok: false; reason: "wrong" };

/** Options for tests and tuning. */
export interface AuthOptions {
  sessions?: SessionStore;
  throttle?: SignInThrottle;
  /** scrypt cost of the dummy hash checked for unknown users (keeps timing even). */
  cost?: ScryptCost;
  /** Proxies whose X-Forwarded-For names the client (default: none). */
  proxies?: TrustedProxies;
}

/** Sessions, throttling and cookies, for one portal. */
export class Auth {
  readonly sessions: SessionStore;
  readonly throttle: SignInThrottle;
  readonly proxies: TrustedProxies;
  readonly #db: Pick<BackupStorage, "admins" | "portalSessions">;
  readonly #cost: ScryptCost;
  #dummyHash: string | undefined;

  constructor(
    db: Pick<BackupStorage, "admins" | "portalSessions">,
    options: AuthOptions = {},
  ) {
    this.#db = db;
    this.sessions = options.sessions ?? new SessionStore(db.portalSessions);
    this.throttle = options.throttle ?? new SignInThrottle();
    this.proxies = options.proxies ?? new TrustedProxies(undefined);
    this.#cost = options.cost ?? DEFAULT_COST;
  }

  /** The session named by the request's cookie, if it is live. */
  sessionOf(ctx: Context): Session | undefined {
    const c = honoOf(ctx);
    return this.sessions.get(getCookie(c, SESSION_COOKIE));
  }

  /** Checks a user name and password, honouring the throttle; sets the cookie on success. */
  async signIn(
    ctx: Context,
    user: string,
    password: string,
  ): Promise<SignInResult> {
    const c = honoOf(ctx);
    const checked = await this.checkPassword(ctx, user, password);
    if (!checked.ok) return checked;
    const session = this.sessions.create(user);
    setCookie(c, SESSION_COOKIE, session.id, cookieOptions(c));
    deleteCookie(c, LOGIN_COOKIE, { path: "/" });
    logger.info("Signed in", { address: this.proxies.of(c), user });
    return { ok: true, session };
  }

  /**
   * Checks `password` for `user` under the same throttle as sign-in (a
   * password change asks for the current one this way).
   */
  async checkPassword(
    ctx: Context,
    user: string,
    password: string,
  ): Promise<{ ok: true } | Exclude<SignInResult, { ok: true }>> {
    const c = honoOf(ctx);
    const address = this.proxies.of(c);
    const wait = this.throttle.retryAfter(address, user);
    if (wait > 0) {
      logger.warn("Sign-in refused: too many failures", { address, user });
      return { ok: false, reason: "throttled", retryAfterMs: wait };
    }
    // Counted as a failure before the (asynchronous) hash check, so that
    // attempts sent at once cannot all pass the throttle while the first
    // ones are still being checked; a success clears it again.
    this.throttle.fail(address, user);
    const stored = this.#db.admins.hash(user);
    this.#dummyHash ??= hashPasswordSync(token(), this.#cost);
    const matches = await verifyPassword(password, stored ?? this.#dummyHash);
    if (!stored || !matches) {
      logger.warn("Sign-in failed", { address, user });
      return { ok: false, reason: "wrong" };
    }
    this.throttle.succeed(address, user);
    return { ok: true };
  }

  /** Ends every other session of the request's user ("sign out everywhere"); returns how many ended. */
  signOutOthers(ctx: Context, session: Session): number {
    const c = honoOf(ctx);
    const ended = this.sessions.deleteUser(session.user, session.id);
    logger.info("Signed out everywhere else", {
      address: this.proxies.of(c),
      user: session.user,
      ended,
    });
    return ended;
  }

  /** Ends the request's session and clears its cookie. */
  signOut(ctx: Context): void {
    const c = honoOf(ctx);
    const id = getCookie(c, SESSION_COOKIE);
    if (id) this.sessions.delete(id);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
  }

  /** The sign-in form's CSRF token: the one in the cookie, or a new one set now. */
  loginToken(ctx: Context): string {
    const c = honoOf(ctx);
    const existing = getCookie(c, LOGIN_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const fresh = token();
    setCookie(c, LOGIN_COOKIE, fresh, { ...cookieOptions(c), maxAge: 3600 });
    return fresh;
  }

  /** True when the sign-in form echoed the token from its cookie. */
  checkLoginToken(ctx: Context, submitted: string | undefined): boolean {
    const c = honoOf(ctx);
    return sameSecret(getCookie(c, LOGIN_COOKIE), submitted);
  }
}

function cookieOptions(c: HonoContext) {
  return {
    path: "/",
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: new URL(c.req.url).protocol === "https:",
  };
}
