/**
 * The HTTP listener, kept alive through descriptor exhaustion.
 *
 * `Deno.serve` runs its own accept loop: when `accept()` fails with EMFILE
 * (too many open files) the loop ends and its `finished` promise rejects,
 * which, unhandled, exits the whole process, TCP service included. Here
 * that rejection is caught, logged, and the listener is opened again on the
 * same port after a backoff, while the connections already open keep being
 * served. While the descriptors are exhausted new HTTP connections are
 * refused rather than queued.
 *
 * What `Deno.serve` (Deno 2.9) cannot do: its options are only `port`,
 * `hostname`, `reusePort`, `tcpBacklog`, `signal`, `onError`, `onListen`
 * and `automaticCompression`. There is no connection limit and no timeout
 * for a request head (a half-sent head is held for ever; measured: still
 * open after 70 s), and the lower-level `Deno.serveHttp(conn)` is
 * soft-removed in Deno 2. Request bodies are bounded and timed out in our
 * own readers (body_limit.ts); caps on connections and head timeouts
 * belong to a reverse proxy in front (SECURITY.md).
 * @module
 */
import { getLogger } from "@logtape/logtape";

const logger = getLogger(["cyberbackup", "portal", "listen"]);

/** First and longest wait before the listener is opened again. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
/** A failure this long after the previous one starts a new outage (logged again). */
const QUIET_MS = 60_000;

/** A `Deno.serve` server that reopens itself after its accept loop fails. */
export class ResilientHttpServer {
  readonly addr: Deno.NetAddr;
  readonly #hostname: string;
  readonly #handler: Deno.ServeHandler<Deno.NetAddr>;
  /** Every incarnation: older ones still serve the connections they accepted. */
  readonly #servers = new Set<Deno.HttpServer<Deno.NetAddr>>();
  #stopping = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #lastFailure = 0;
  #delay = RETRY_MIN_MS;

  /** Listens on `hostname:port` (port 0: any); throws when the first listen fails. */
  constructor(
    options: { hostname: string; port: number },
    handler: Deno.ServeHandler<Deno.NetAddr>,
  ) {
    this.#hostname = options.hostname;
    this.#handler = handler;
    const first = this.#open(options.port);
    this.addr = first.addr;
  }

  /** How many times the accept loop failed and was reopened. */
  get restarts(): number {
    return this.#failures;
  }

  /** Stops accepting and finishes the requests in flight. */
  async shutdown(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    await Promise.all(
      [...this.#servers].map((server) => server.shutdown().catch(() => {})),
    );
  }

  #open(port: number): Deno.HttpServer<Deno.NetAddr> {
    const server = Deno.serve({
      hostname: this.#hostname,
      port,
      onListen: () => {},
    }, this.#handler);
    this.#servers.add(server);
    server.finished.then(
      () => this.#servers.delete(server),
      (error) => {
        this.#servers.delete(server);
        this.#failed(error);
      },
    );
    return server;
  }

  #failed(error: unknown): void {
    if (this.#stopping) return;
    this.#failures++;
    const now = Date.now();
    const sameOutage = now - this.#lastFailure < QUIET_MS;
    this.#lastFailure = now;
    // Failing again soon after a reopen is the same outage: wait longer, log once.
    this.#delay = sameOutage
      ? Math.min(this.#delay * 2, RETRY_MAX_MS)
      : RETRY_MIN_MS;
    if (!sameOutage) {
      logger.error(
        "HTTP accept loop failed: {message}; reopening port {port}",
        { message: (error as Error).message, port: this.addr.port, error },
      );
    }
    this.#retry(this.#delay);
  }

  #retry(delayMs: number): void {
    this.#timer = setTimeout(() => {
      if (this.#stopping) return;
      try {
        this.#open(this.addr.port);
        logger.debug("HTTP listener reopened on port {port}", {
          port: this.addr.port,
        });
      } catch {
        this.#retry(Math.min(delayMs * 2, RETRY_MAX_MS));
      }
    }, delayMs);
  }
}
