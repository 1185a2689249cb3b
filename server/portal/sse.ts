/**
 * Server-sent events: live statistics and the live log tail. Each stream
 * unsubscribes when the browser goes away, and {@link LiveStreams} can end
 * them all (on shutdown, so `Deno.serve` can finish, or in tests to prove
 * that islands reconnect).
 * @module
 */
import type { Context } from "./define.ts";
import { honoOf } from "./hono_context.ts";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { LogEntry } from "../stats/log_buffer.ts";
import { atLeast, type LogLevelName } from "../../shared/log_levels.ts";

/** How often a stream sends statistics at most, and at least (the chart moves every second). */
const MIN_INTERVAL_MS = 250;
const MAX_INTERVAL_MS = 1000;
/** The browser's reconnect delay after a drop. */
const RETRY_MS = 2000;
/** How often a stream checks that its sign-in session still holds. */
export const SESSION_CHECK_MS = 1000;

/** True while the session that opened a stream is live (not signed out, expired or revoked). */
type SessionAlive = () => boolean;

/** What every stream needs of its request: the services, the streams, the session check. */
function streamOf(ctx: Context) {
  const { deps, portal, session } = ctx.state;
  const alive: SessionAlive = () =>
    portal.auth.sessions.peek(session?.id) !== undefined;
  return { deps, streams: portal.streams, alive };
}

/** The open streams of one portal. */
export class LiveStreams {
  readonly #open = new Set<() => void>();
  #closed = false;

  /** Number of open streams. */
  get size(): number {
    return this.#open.size;
  }

  /** True after {@link shutdown}: new streams are refused. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Ends every open stream; browsers reconnect after their retry delay. */
  closeAll(): void {
    for (const end of [...this.#open]) end();
  }

  /** Ends every stream and refuses new ones (server shutdown). */
  shutdown(): void {
    this.#closed = true;
    this.closeAll();
  }

  /** Registers a stream's end function; returns the function that forgets it. */
  track(end: () => void): () => void {
    this.#open.add(end);
    return () => this.#open.delete(end);
  }
}

/** `GET /events/stats`: a `stats` event with a full snapshot on change (at most 4 a second) and every second. */
export function statsStream(ctx: Context): Response {
  const { deps, streams, alive } = streamOf(ctx);
  const c = honoOf(ctx);
  if (streams.closed) return c.text("Server is shutting down", 503);
  return streamSSE(c, async (stream) => {
    const wake = wakeable(stream, streams, alive);
    let dirty = true;
    const unsubscribe = deps.stats.subscribe(() => {
      dirty = true;
    });
    try {
      let lastSent = 0;
      await stream.writeSSE({
        event: "stats",
        data: JSON.stringify(deps.stats.snapshot()),
        retry: RETRY_MS,
      });
      lastSent = Date.now();
      dirty = false;
      while (!wake.ended()) {
        await wake.sleep(MIN_INTERVAL_MS);
        if (wake.ended()) break;
        const now = Date.now();
        if (!dirty && now - lastSent < MAX_INTERVAL_MS) continue;
        dirty = false;
        lastSent = now;
        await stream.writeSSE({
          event: "stats",
          data: JSON.stringify(deps.stats.snapshot()),
        });
      }
    } finally {
      unsubscribe();
      wake.dispose();
    }
  });
}

/** `GET /events/logs?level=`: a `backlog` event with the stored records, then one `log` event per record. */
export function logStream(ctx: Context, level: LogLevelName): Response {
  const { deps, streams, alive } = streamOf(ctx);
  const c = honoOf(ctx);
  if (streams.closed) return c.text("Server is shutting down", 503);
  return streamSSE(c, async (stream) => {
    const wake = wakeable(stream, streams, alive);
    const pending: LogEntry[] = [];
    const unsubscribe = deps.logs.subscribe((entry) => {
      if (!atLeast(entry.level, level)) return;
      pending.push(entry);
      if (pending.length > 1000) pending.shift();
      wake.wake();
    });
    try {
      await stream.writeSSE({
        event: "backlog",
        data: JSON.stringify(deps.logs.entries(level)),
        retry: RETRY_MS,
      });
      while (!wake.ended()) {
        while (pending.length) {
          await stream.writeSSE({
            event: "log",
            data: JSON.stringify(pending.shift()),
          });
        }
        await wake.sleep(15_000);
        // A comment line keeps proxies from timing out an idle stream.
        if (!pending.length && !wake.ended()) {
          await stream.write(": keep-alive\n\n");
        }
      }
    } finally {
      unsubscribe();
      wake.dispose();
    }
  });
}

/**
 * `GET /events/maintenance`: a `runs` event with the latest maintenance
 * runs (retention, trash purge, GC: figures and state, issue 13) whenever
 * they change, checked every second; a run by the admin CLI shows too,
 * since the records live in the database.
 */
export function maintenanceStream(ctx: Context): Response {
  const { deps, streams, alive } = streamOf(ctx);
  const c = honoOf(ctx);
  const history = deps.history;
  if (!history) return c.text("Not found", 404);
  if (streams.closed) return c.text("Server is shutting down", 503);
  return streamSSE(c, async (stream) => {
    const wake = wakeable(stream, streams, alive);
    try {
      let last = "";
      let first = true;
      while (!wake.ended()) {
        const data = JSON.stringify(history.maintenance.runs(MAINTENANCE_RUNS));
        if (data !== last) {
          last = data;
          await stream.writeSSE({
            event: "runs",
            data,
            ...(first ? { retry: RETRY_MS } : {}),
          });
          first = false;
        }
        await wake.sleep(MAX_INTERVAL_MS);
      }
    } finally {
      wake.dispose();
    }
  });
}

/** How many runs the maintenance stream and page show. */
export const MAINTENANCE_RUNS = 8;

/**
 * A sleep that ends early when woken, when the browser leaves, when the
 * portal ends all streams, or when the stream's session ends.
 */
function wakeable(
  stream: SSEStreamingApi,
  streams: LiveStreams,
  alive: SessionAlive,
) {
  let ended = false;
  let resolve: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wake = () => {
    clearTimeout(timer);
    resolve?.();
    resolve = undefined;
  };
  const end = () => {
    ended = true;
    wake();
    stream.abort();
  };
  const forget = streams.track(end);
  const check = setInterval(() => {
    if (!alive()) end();
  }, SESSION_CHECK_MS);
  // Hono aborts the stream when the browser cancels the response body.
  stream.onAbort(() => {
    ended = true;
    wake();
  });
  return {
    ended: () => ended || stream.aborted || stream.closed,
    wake,
    sleep(ms: number): Promise<void> {
      if (ended) return Promise.resolve();
      return new Promise<void>((done) => {
        resolve = done;
        timer = setTimeout(wake, ms);
      });
    },
    dispose() {
      clearTimeout(timer);
      clearInterval(check);
      forget();
    },
  };
}
