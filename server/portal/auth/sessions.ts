/**
 * Signed-in admin sessions, kept in memory: a restart signs everyone out,
 * which is acceptable for a handful of administrators and keeps session
 * secrets out of the database. Each session carries its CSRF token.
 * @module
 */
import { Buffer } from "node:buffer";
import { randomBytes, timingSafeEqual } from "node:crypto";

/** A signed-in administrator. */
export interface Session {
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

/** Creates, finds and ends sessions by their cookie value. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #lifetime: SessionLifetime;
  readonly #now: () => number;

  constructor(
    options: { lifetime?: SessionLifetime; now?: () => number } = {},
  ) {
    this.#lifetime = options.lifetime ?? DEFAULT_LIFETIME;
    this.#now = options.now ?? Date.now;
  }

  /** Starts a session for `user` and returns it (its id goes into the cookie). */
  create(user: string): Session {
    this.#sweep();
    const now = this.#now();
    const session = {
      id: token(),
      user,
      csrf: token(),
      createdAt: now,
      lastSeen: now,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, refreshed; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    const now = this.#now();
    if (this.#expired(session, now)) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  /** Ends one session. */
  delete(id: string): void {
    this.#sessions.delete(id);
  }

  /** Ends every session of `user`, e.g. after a password change. */
  deleteUser(user: string): void {
    for (const [id, session] of this.#sessions) {
      if (session.user === user) this.#sessions.delete(id);
    }
  }

  #expired(session: Session, now: number): boolean {
    return now - session.lastSeen > this.#lifetime.idleMs ||
      now - session.createdAt > this.#lifetime.absoluteMs;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, session] of this.#sessions) {
      if (this.#expired(session, now)) this.#sessions.delete(id);
    }
  }
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
