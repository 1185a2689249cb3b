/**
 * An accept loop that outlives a full descriptor table: when `accept()`
 * fails with EMFILE / ENFILE (or any other error while the listener is
 * open) it backs off, logs once per episode, and goes on; the pending
 * connections wait in the kernel's backlog until descriptors free up.
 * @module
 */
import { getLogger } from "@logtape/logtape";

const logger = getLogger(["cyberbackup", "tcp"]);

/** First and longest pause after a failed accept. */
const BACKOFF_MS = { first: 10, max: 1000 } as const;

/** What the loop needs of a listener (a `Deno.Listener`, or a fake in tests). */
export interface Acceptor {
  accept(): Promise<Deno.Conn>;
}

/** True when the error says the listener is closed, not that accept failed. */
function listenerClosed(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted;
}

/** True for "too many open files", per process (24) or system-wide (23). */
export function outOfDescriptors(error: unknown): boolean {
  return /too many open files|os error 2[34]\b/i.test(
    (error as Error)?.message ?? "",
  );
}

/**
 * Accepts connections and hands each to `onConn` until `signal` aborts or
 * the listener closes. Never throws.
 */
export async function acceptLoop(
  listener: Acceptor,
  onConn: (conn: Deno.Conn) => void,
  options: { signal: AbortSignal; sleep?: (ms: number) => Promise<void> },
): Promise<void> {
  const sleep = options.sleep ??
    ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let backoff = 0;
  while (!options.signal.aborted) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (options.signal.aborted || listenerClosed(error)) return;
      if (backoff === 0) {
        logger.error(
          outOfDescriptors(error)
            ? "Cannot accept connections: out of file descriptors ({message}); retrying until some are free"
            : "Cannot accept connections: {message}; retrying",
          { message: (error as Error).message },
        );
      }
      backoff = Math.min(backoff * 2 || BACKOFF_MS.first, BACKOFF_MS.max);
      await sleep(backoff);
      continue;
    }
    if (backoff > 0) {
      logger.info("Accepting connections again");
      backoff = 0;
    }
    onConn(conn);
  }
}
