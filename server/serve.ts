/**
 * `cyberbackup serve`: opens the data directory, recovers from a previous
 * crash, and runs the TCP worker pool and the HTTP side in one process.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { join } from "node:path";
import type { ServerConfig } from "./config.ts";
import type { EventSink } from "./stats/events.ts";
import { Database } from "./storage/database.ts";
import { FileStore } from "./storage/file_store.ts";
import { TcpServer } from "./tcp/pool.ts";

const logger = getLogger(["cyberbackup", "server"]);

/** A started server, for main.ts and the tests. */
export interface RunningServer {
  readonly tcpPort: number;
  readonly db: Database;
  readonly store: FileStore;
  readonly tcp: TcpServer;
  /** Stops accepting, lets transfers finish within the grace period, closes the database. */
  stop(): Promise<void>;
}

/** Starts the protocol server on `config`, reporting core events to `onEvent`. */
export async function startServer(
  config: ServerConfig,
  options: { onEvent?: EventSink } = {},
): Promise<RunningServer> {
  await Deno.mkdir(join(config.dataDir, "received_files"), { recursive: true });
  // The main thread opens the database first so migrations run exactly once.
  const db = Database.open(join(config.dataDir, "defensive.db"));
  const now = new Date().toISOString();
  const interrupted = db.interruptUnfinishedTransfers(now);
  if (interrupted > 0) {
    logger.warn("{count} transfers were interrupted by the last shutdown", {
      count: interrupted,
    });
  }
  const store = new FileStore(join(config.dataDir, "received_files"));
  const leftovers = await store.removeLeftovers();
  if (leftovers > 0) {
    logger.warn("Removed {count} partial uploads left by the last run", {
      count: leftovers,
    });
  }
  let tcp: TcpServer;
  try {
    tcp = await TcpServer.start({
      config,
      workers: config.workers,
      limits: config,
      onEvent: options.onEvent ?? (() => {}),
    });
  } catch (error) {
    db.close();
    throw error;
  }
  logger.info("Protocol server listening on {host}:{port} with {workers} workers", {
    host: config.host,
    port: tcp.port,
    workers: config.workers,
  });
  return {
    tcpPort: tcp.port,
    db,
    store,
    tcp,
    async stop() {
      logger.info("Shutting down: waiting up to {ms} ms for transfers", {
        ms: config.shutdownGraceMs,
      });
      await tcp.stop(config.shutdownGraceMs);
      db.close();
      logger.info("Server stopped");
    },
  };
}
