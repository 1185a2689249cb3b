/**
 * Signed-in admin sessions, kept in the database so that a restart signs
 * nobody out. Only a SHA-256 of the cookie value is stored: whoever reads
 * `defensive.db` cannot sign in with it. The CSRF token is derived from the
 * cookie value, so it is not stored either. Every lookup reads the row, so
 * a session ended elsewhere (`cyberbackup admin set-password` in another
 * process) ends here at the next request.
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { getLogger } from "@logtape/logtape";
import type { PortalSessions } from "../../storage/types.ts";

const logger = getLogger(["cyberbackup", "portal", "auth"]);

/** A signed-in administrator. */
export interface Session {
  /** The cookie value; only its hash is stored. */
  id: string;
  user: string;
  /** Synchronizer token that every state-changing form must echo. */
  csrf: string;
  createdAt: number;
  lastSeen: number;
}

/** How long sessions live. */
export interface SessionLifetime {
  /** Signed out after this long without a request. */
  idleMs: number;
  /** Signed out after this long whatever happens. */
  absoluteMs: number;
}

const DEFAULT_LIFETIME: SessionLifetime = {
  idleMs: 2 * 3600_000,
  absoluteMs: 12 * 3600_000,
};

/** The last-seen time is written at most this often per session (a write per request would be waste). */
const TOUCH_MS = 30_000;

/** Creates, finds and ends sessions by their cookie value. */
export class SessionStore {
  readonly #db: PortalSessions;
  readonly #lifetime: SessionLifetime;
  readonly #now: () => number;

  constructor(
    db: PortalSessions,
    options: { lifetime?: SessionLifetime; now?: () => number } = {},
  ) {
    this.#db = db;
    this.#lifetime = options.lifetime ?? DEFAULT_LIFETIME;
    this.#now = options.now ?? Date.now;
  }

  /** Starts a session for `user` and returns it (its id goes into the cookie). */
  create(user: string): Session {
    const now = this.#now();
    this.#db.sweep(
      now - this.#lifetime.idleMs,
      now - this.#lifetime.absoluteMs,
    );
    const id = token();
    this.#db.insert(digest("session", id), user, now);
    return {
      id,
      user,
      csrf: digest("csrf", id),
      createdAt: now,
      lastSeen: now,
    };
  }

  /** The live session with this id, refreshed; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    const session = this.peek(id);
    if (!session) return undefined;
    const now = this.#now();
    if (
      now - session.lastSeen >= Math.min(TOUCH_MS, this.#lifetime.idleMs / 10)
    ) {
      try {
        this.#db.touch(digest("session", session.id), now);
        session.lastSeen = now;
      } catch (error) {
        // A locked or read-only database must not sign anyone out; the
        // session only loses this refresh.
        logger.warn("Cannot refresh a portal session: {message}", {
          message: (error as Error).message,
        });
      }
    }
    return session;
  }

  /** Like {@link get} without counting as activity: for live streams checking that their session still holds. */
  peek(id: string | undefined): Session | undefined {
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const hash = digest("session", id);
    const row = this.#db.find(hash);
    if (!row) return undefined;
    const now = this.#now();
    if (
      now - row.lastSeen > this.#lifetime.idleMs ||
      now - row.createdAt > this.#lifetime.absoluteMs
    ) {
      return undefined; // the row goes with the next sign-in's sweep
    }
    return {
      id,
      user: row.user,
      csrf: digest("csrf", id),
      createdAt: row.createdAt,
      lastSeen: row.lastSeen,
    };
  }

  /** Ends one session. */
  delete(id: string): void {
    this.#db.delete(digest("session", id));
  }

  /** Ends every session of `user` but `keep` (the one asking), e.g. "sign out everywhere". */
  deleteUser(user: string, keep?: string): number {
    return endSessionsOf(this.#db, user, keep);
  }
}

/**
 * Ends every portal session of `user` except the one whose cookie value is
 * `keep`; returns how many ended. A password change calls this.
 */
export function endSessionsOf(
  sessions: PortalSessions,
  user: string,
  keep?: string,
): number {
  return sessions.deleteUser(user, keep ? digest("session", keep) : "");
}

/** A 256-bit random token, URL-safe. */
export function token(): string {
  return randomBytes(32).toString("base64url");
}

/** Compares two secrets in constant time; false when either is missing. */
export function sameSecret(
  a: string | undefined | null,
  b: string | undefined | null,
): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A purpose-bound SHA-256 of a cookie value, so the stored hash and the CSRF token differ. */
function digest(purpose: "session" | "csrf", id: string): string {
  return createHash("sha256").update(`${purpose}\0${id}`).digest("base64url");
}
