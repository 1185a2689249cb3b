/**
 * A TCP worker: listens on the shared port (SO_REUSEPORT, so the kernel
 * spreads connections over the pool) and runs the session core for each
 * connection it accepts, with its own database connection. Entry point of
 * a Deno Worker; reports events and logs to the main thread.
 * @module
 */
/// <reference lib="deno.worker" />
import { getLogger } from "@logtape/logtape";
import { join } from "node:path";
import { encodeResponse } from "../protocol/codec.ts";
import { ResponseCode } from "../protocol/constants.ts";
import { configureWorkerLogging } from "../logging.ts";
import { Session } from "../session/session.ts";
import type { SessionContext } from "../session/context.ts";
import type { ServerEvent } from "../stats/events.ts";
import { Database } from "../storage/database.ts";
import { FileStore } from "../storage/file_store.ts";
import { serveConnection } from "./connection.ts";
import { SharedLimits } from "./shared_limits.ts";
import type { FromWorker, ToWorker, WorkerConfig } from "./worker_messages.ts";

const logger = getLogger(["cyberbackup", "tcp"]);

function post(message: FromWorker): void {
  self.postMessage(message);
}

/** One running worker: its listener, its connections, its database. */
class TcpWorker {
  #listener: Deno.Listener;
  #limits: SharedLimits;
  #ctx: SessionContext;
  #config: WorkerConfig;
  #stopping = new AbortController();
  #connections = new Map<Deno.Conn, Promise<void>>();
  #nextId = 0;
  #name: string;

  constructor(options: {
    index: number;
    config: WorkerConfig;
    limits: SharedLimits;
  }) {
    const { config } = options;
    this.#config = config;
    this.#name = `w${options.index}`;
    this.#limits = options.limits;
    this.#ctx = {
      db: Database.open(join(config.dataDir, "defensive.db")),
      store: new FileStore(join(config.dataDir, "received_files")),
      events: (event: ServerEvent) => post({ type: "event", event }),
      oaepHash: config.oaepHash,
      maxFileBytes: config.maxFileBytes,
      transport: "tcp",
    };
    this.#listener = Deno.listen({
      hostname: config.host,
      port: config.port,
      reusePort: true,
    });
  }

  async acceptLoop(): Promise<void> {
    try {
      for await (const conn of this.#listener) this.#accept(conn);
    } catch (error) {
      if (!this.#stopping.signal.aborted) throw error;
    }
  }

  #accept(conn: Deno.Conn): void {
    const remote = conn.remoteAddr as Deno.NetAddr;
    const address = `${remote.hostname}:${remote.port}`;
    if (!this.#limits.tryAcquire()) {
      logger.warn("Refused connection from {address}: {max} connections open", {
        address,
        max: this.#limits.get().maxConnections,
      });
      post({
        type: "event",
        event: { type: "refused", remote: address, reason: "connection limit" },
      });
      // A best-effort 1607 tells a well-behaved client why; never wait on it.
      conn.write(encodeResponse({ code: ResponseCode.SERVER_ERROR }))
        .catch(() => {}).finally(() => conn.close());
      return;
    }
    const id = `${this.#name}-${++this.#nextId}`;
    post({
      type: "event",
      event: { type: "connect", conn: id, remote: address },
    });
    logger.info("Connection {conn} from {address}", { conn: id, address });
    const served = serveConnection(conn, new Session(this.#ctx), {
      maxPacketBytes: this.#config.maxPacketBytes,
      idleTimeoutMs: () => this.#limits.get().idleTimeoutMs,
      signal: this.#stopping.signal,
    }).catch((error) =>
      logger.error("Connection {conn} crashed: {message}", {
        conn: id,
        message: (error as Error).message,
      })
    ).finally(() => {
      this.#limits.release();
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
      await drained;
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
