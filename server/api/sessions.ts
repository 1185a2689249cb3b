/**
 * HTTP sessions of the JSON API: a random bearer token stands for one
 * protocol session of the core, across the separate requests a browser
 * sends. Sessions idle for 10 minutes are swept and closed (an upload in
 * flight is then recorded as aborted, as when a TCP connection drops).
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { SessionContext } from "../session/context.ts";
import { Session } from "../session/session.ts";
import type { Identity } from "../session/state.ts";
import { toBase64Url } from "../../shared/encoding.ts";
import { ApiError } from "./errors.ts";
import { RateLimiter, type RateLimitOptions } from "./rate_limit.ts";

const logger = getLogger(["cyberbackup", "api"]);

/** Idle time after which a session is closed: 10 minutes. */
export const SESSION_IDLE_MS = 10 * 60_000;

/**
 * One API session: the core session, which alone holds the protocol state
 * (read through `core.view`), and what HTTP adds around it: the token,
 * the idle clock and one request at a time.
 */
export class ApiSession {
  readonly token: string;
  readonly core: Session;
  readonly conn: string;
  lastUsed: number;
  #busy = false;

  constructor(
    options: { token: string; conn: string; ctx: SessionContext; now: number },
  ) {
    this.token = options.token;
    this.conn = options.conn;
    this.lastUsed = options.now;
    this.core = new Session(options.ctx);
  }

  /**
   * Who the session speaks for, as the core knows it: a session is kept
   * only once register or reconnect succeeded in it.
   */
  get identity(): Readonly<Identity> {
    const identity = this.core.view.identity;
    if (!identity) {
      throw new Error(
        `Cannot serve request: session ${this.conn} has no client`,
      );
    }
    return identity;
  }

  /** True while a request of this session is being served. */
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Runs one request of this session. A session serves one request at a
   * time: the protocol is a sequence, and a second request racing the first
   * would interleave packets.
   */
  async run<T>(action: () => Promise<T>, now: () => number): Promise<T> {
    if (this.#busy) {
      throw new ApiError(
        "session_busy",
        "Cannot serve request: this session is still serving another one; send requests one after the other",
      );
    }
    this.#busy = true;
    this.lastUsed = now();
    try {
      return await action();
    } finally {
      this.#busy = false;
      this.lastUsed = now();
    }
  }
}

/** Options of {@linkcode SessionRegistry}. */
export interface SessionRegistryOptions {
  /** Idle time before a session is closed (default 10 minutes). */
  idleMs?: number;
  /** How often idle sessions are looked for (default 30 s). */
  sweepMs?: number;
  /** Sessions open at once at most (default 1000). */
  maxSessions?: number;
  /** Limit on sessions opened per address. */
  rateLimit?: RateLimitOptions;
  now?: () => number;
}

function newToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** All open API sessions, by token. */
export class SessionRegistry {
  readonly idleMs: number;
  readonly #ctx: SessionContext;
  readonly #sessions = new Map<string, ApiSession>();
  readonly #limiter: RateLimiter;
  readonly #maxSessions: number;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #nextConn = 0;
  #closed = false;

  constructor(ctx: SessionContext, options: SessionRegistryOptions = {}) {
    this.#ctx = ctx;
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.#maxSessions = options.maxSessions ?? 1000;
    this.#limiter = new RateLimiter(options.rateLimit);
    this.#now = options.now ?? Date.now;
    const sweepMs = options.sweepMs ?? 30_000;
    const timer = setInterval(() => void this.sweep(), sweepMs);
    // The sweep must not keep a finished process alive.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Sessions open now. */
  get size(): number {
    return this.#sessions.size;
  }

  /** The clock sessions are timed with. */
  now(): number {
    return this.#now();
  }

  /**
   * Opens a session for a request from `address` (register, reconnect).
   * Refused with 429 when the address opens too many or too many are open.
   */
  open(address: string): ApiSession {
    if (this.#closed) {
      throw new ApiError("shutting_down", "The server is shutting down");
    }
    if (this.#sessions.size >= this.#maxSessions) {
      throw new ApiError(
        "too_many_sessions",
        `Cannot open session: ${this.#maxSessions} sessions are open; try again later`,
        { retryAfter: 30 },
      );
    }
    const wait = this.#limiter.take(address);
    if (wait > 0) {
      throw new ApiError(
        "rate_limited",
        "Cannot open session: too many sessions opened from this address; try again later",
        { retryAfter: wait / 1000 },
      );
    }
    const conn = `http-${++this.#nextConn}`;
    const session = new ApiSession({
      token: newToken(),
      conn,
      ctx: this.#ctx,
      now: this.#now(),
    });
    this.#sessions.set(session.token, session);
    logger.debug("HTTP session {conn} opened from {address}", {
      conn,
      address,
    });
    this.#ctx.events({ type: "connect", conn, remote: address });
    return session;
  }

  /** The live session of a bearer token; 401 when it is unknown or expired. */
  get(token: string | undefined): ApiSession {
    if (token === undefined) {
      throw new ApiError(
        "token_required",
        "Cannot serve request: send the session token as 'Authorization: Bearer <token>'",
      );
    }
    const session = this.#sessions.get(token);
    if (!session || this.#expired(session)) {
      if (session) void this.close(session, "session expired");
      throw new ApiError(
        "session_expired",
        "Cannot serve request: the session is unknown or expired after 10 minutes idle; reconnect",
      );
    }
    return session;
  }

  /** Ends a session: the core drops any upload in flight. */
  async close(session: ApiSession, reason: string): Promise<void> {
    if (this.#sessions.get(session.token) !== session) return;
    this.#sessions.delete(session.token);
    try {
      await session.core.close(reason);
    } catch (error) {
      logger.error("Cannot close session {conn}: {message}", {
        conn: session.conn,
        message: (error as Error).message,
      });
    }
    this.#ctx.events({ type: "disconnect", conn: session.conn });
  }

  /** Closes sessions idle for longer than `idleMs`; returns how many. */
  async sweep(): Promise<number> {
    const idle = [...this.#sessions.values()].filter((s) => this.#expired(s));
    for (const session of idle) {
      logger.info("Session {conn} of {client} closed after {ms} ms idle", {
        conn: session.conn,
        client: session.core.client,
        ms: this.idleMs,
      });
      await this.close(session, "session idle for 10 minutes");
    }
    return idle.length;
  }

  /** Stops the sweep and closes every session (server shutdown). */
  async closeAll(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const session of [...this.#sessions.values()]) {
      await this.close(session, "server shutting down");
    }
  }

  #expired(session: ApiSession): boolean {
    return !session.busy && this.#now() - session.lastUsed > this.idleMs;
  }
}
