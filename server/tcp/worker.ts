/**
 * A TCP worker: listens on the shared port (SO_REUSEPORT, so the kernel
 * spreads connections over the pool) and runs the session core for each
 * connection it accepts, with its own database connection. Entry point of
 * a Deno Worker; reports events and logs to the main thread.
 * @module
 */
/// <reference lib="deno.worker" />
import { getLogger, withContext } from "@logtape/logtape";
import { join } from "node:path";
import { encodeResponse } from "../protocol/codec.ts";
import { ResponseCode } from "../protocol/constants.ts";
import { configureWorkerLogging } from "../logging.ts";
import { Session } from "../session/session.ts";
import type { SessionContext } from "../session/context.ts";
import type { ServerEvent } from "../stats/events.ts";
import { Database } from "../storage/database.ts";
import { FileStore } from "../storage/file_store.ts";
import { acceptLoop } from "./accept.ts";
import { AddressLimits, hostOf } from "./address_limits.ts";
import { serveConnection } from "./connection.ts";
import { SharedLimits } from "./shared_limits.ts";
import type { FromWorker, ToWorker, WorkerConfig } from "./worker_messages.ts";

const logger = getLogger(["cyberbackup", "tcp"]);

/** Refusals are logged at most this often per worker. */
const REFUSAL_LOG_MS = 5000;

/** How long connections cut at the end of the grace period get to wind up. */
const FORCED_CLOSE_MS = 1000;

function post(message: FromWorker): void {
  self.postMessage(message);
}

/** One running worker: its listener, its connections, its database. */
class TcpWorker {
  #listener: Deno.Listener;
  #limits: SharedLimits;
  #addresses: AddressLimits;
  #index: number;
  #ctx: SessionContext;
  #config: WorkerConfig;
  #stopping = new AbortController();
  #connections = new Map<Deno.Conn, Promise<void>>();
  #nextId = 0;
  #name: string;
  #refusals = { loggedAt: 0, unlogged: 0 };

  constructor(options: {
    index: number;
    config: WorkerConfig;
    limits: SharedLimits;
    addresses: AddressLimits;
  }) {
    const { config } = options;
    this.#config = config;
    this.#index = options.index;
    this.#name = `w${options.index}`;
    this.#limits = options.limits;
    this.#addresses = options.addresses;
    this.#ctx = {
      db: Database.open(join(config.dataDir, "defensive.db")),
      store: new FileStore(join(config.dataDir, "received_files")),
      events: (event: ServerEvent) => post({ type: "event", event }),
      oaepHash: config.oaepHash,
      maxFileBytes: config.maxFileBytes,
      transport: "tcp",
      minFreeBytes: config.minFreeBytes,
    };
    this.#listener = Deno.listen({
      hostname: config.host,
      port: config.port,
      reusePort: true,
    });
  }

  acceptLoop(): Promise<void> {
    return acceptLoop(this.#listener, (conn) => this.#accept(conn), {
      signal: this.#stopping.signal,
    });
  }

  /**
   * Logs a refusal, at most once per {@link REFUSAL_LOG_MS} with the number
   * left unlogged: a flood must not flood the log file too.
   */
  #logRefusal(message: string, properties: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.#refusals.loggedAt < REFUSAL_LOG_MS) {
      this.#refusals.unlogged++;
      return;
    }
    logger.warn(`${message} ({unlogged} more refused since the last report)`, {
      ...properties,
      unlogged: this.#refusals.unlogged,
    });
    this.#refusals = { loggedAt: now, unlogged: 0 };
  }

  /** Tells the client why (best effort, never waited on) and hangs up. */
  #refuse(conn: Deno.Conn, address: string, reason: string): void {
    post({
      type: "event",
      event: { type: "refused", remote: address, reason },
    });
    conn.write(encodeResponse({ code: ResponseCode.SERVER_ERROR }))
      .catch(() => {}).finally(() => {
        try {
          conn.close();
        } catch { /* already closed */ }
      });
  }

  #accept(conn: Deno.Conn): void {
    const remote = conn.remoteAddr as Deno.NetAddr;
    const address = `${remote.hostname}:${remote.port}`;
    const host = hostOf(address);
    if (!this.#addresses.tryConnect(host)) {
      this.#logRefusal(
        "Refused connection from {address}: {max} connections from {host} open",
        { address, host, max: this.#addresses.values.maxPerAddress },
      );
      return this.#refuse(conn, address, "address limit");
    }
    if (!this.#limits.tryAcquire(this.#index)) {
      this.#addresses.disconnect(host);
      this.#logRefusal(
        "Refused connection from {address}: {max} connections open",
        { address, max: this.#limits.get().maxConnections },
      );
      return this.#refuse(conn, address, "connection limit");
    }
    const id = `${this.#name}-${++this.#nextId}`;
    post({
      type: "event",
      event: { type: "connect", conn: id, remote: address },
    });
    logger.info("Connection {conn} from {address}", { conn: id, address });
    // Every record the connection logs says which one and from where.
    const served = withContext(
      { conn: id, address },
      () =>
        serveConnection(conn, new Session(this.#ctx), {
          maxPacketBytes: this.#config.maxPacketBytes,
          idleTimeoutMs: () => this.#limits.get().idleTimeoutMs,
          authTimeoutMs: this.#config.authTimeoutMs,
          mayRegister: () => this.#addresses.tryRegister(host),
          signal: this.#stopping.signal,
        }),
    ).catch((error) =>
      logger.error("Connection {conn} crashed: {message}", {
        conn: id,
        message: (error as Error).message,
      })
    ).finally(() => {
      this.#limits.release(this.#index);
      this.#addresses.disconnect(host);
      this.#connections.delete(conn);
      post({ type: "event", event: { type: "disconnect", conn: id } });
      logger.info("Connection {conn} closed", { conn: id });
    });
    this.#connections.set(conn, served);
  }

  /**
   * Stops accepting, lets sessions finish their transfer within the grace
   * period, then cuts what is left (its uploads are recorded as aborted).
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping.abort();
    this.#listener.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const drained = Promise.all(this.#connections.values());
    const inTime = await Promise.race([
      drained.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      logger.warn("Grace period over: closing {count} connections", {
        count: this.#connections.size,
      });
      for (const conn of this.#connections.keys()) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      // A session stuck elsewhere (a locked database) must not hold the
      // shutdown: what is not done by then is cut by the worker's end.
      let forced: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        drained,
        new Promise((resolve) => forced = setTimeout(resolve, FORCED_CLOSE_MS)),
      ]);
      clearTimeout(forced);
    }
    this.#ctx.db.close();
  }
}

let worker: TcpWorker | undefined;

self.onmessage = async (message: MessageEvent<ToWorker>) => {
  const data = message.data;
  if (data.type === "start") {
    await configureWorkerLogging({
      level: data.config.logLevel,
      post: (record) => post({ type: "log", record }),
    });
    try {
      worker = new TcpWorker({
        index: data.index,
        config: data.config,
        limits: SharedLimits.from(data.limits),
        addresses: AddressLimits.from(data.addresses, data.config),
      });
    } catch (error) {
      post({ type: "failed", message: (error as Error).message });
      return;
    }
    post({ type: "listening" });
    await worker.acceptLoop();
  } else if (data.type === "stop") {
    await worker?.stop(data.graceMs);
    post({ type: "stopped" });
  }
};
