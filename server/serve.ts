/**
 * `cyberbackup serve`: opens the data directory, recovers from a previous
 * crash, and runs the TCP worker pool and the HTTP side (admin portal,
 * browser client, JSON API) in one process.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { join } from "node:path";
import { ensureAdminAccount } from "./admin/account.ts";
import { createBackupApi } from "./api/mod.ts";
import type { ServerConfig } from "./config.ts";
import { createApp } from "./portal/app.ts";
import { ResilientHttpServer } from "./portal/listen.ts";
import { createOps } from "./ops/runtime.ts";
import { TrustedProxies } from "./portal/address.ts";
import type { LogBuffer } from "./stats/log_buffer.ts";
import type { DataLock } from "./storage/data_lock.ts";
import { Stats } from "./stats/stats.ts";
import { Database } from "./storage/database.ts";
import type { BackupStorage } from "./storage/types.ts";
import { FileStore } from "./storage/file_store.ts";
import { MaintenanceScheduler } from "./history/scheduler.ts";
import { Trash } from "./history/trash.ts";
import { readdressContents } from "./storage/readdress.ts";
import { versionStoredFiles } from "./storage/upgrade.ts";
import { TcpServer } from "./tcp/pool.ts";
import type { EventSink } from "./stats/events.ts";

const logger = getLogger(["cyberbackup", "server"]);

/** A started server, for main.ts and the tests. */
export interface RunningServer {
  readonly tcpPort: number;
  readonly httpPort: number;
  /** The admin password made on this first start, to show once; else undefined. */
  readonly initialPassword?: string;
  /** Stops accepting, lets transfers finish within the grace period, closes the database. */
  stop(): Promise<void>;
}

/** Options of {@link startServer} besides the configuration. */
export interface ServeOptions {
  version: string;
  /** The live log tail the portal shows; main.ts also puts it in the logging set-up. */
  logs: LogBuffer;
  /** The data directory's lock: recovery may only run under it. */
  lock: DataLock;
}

/** Opens the database and storage, cleaning up what a crash left behind. */
async function openData(config: ServerConfig) {
  await Deno.mkdir(join(config.dataDir, "received_files"), {
    recursive: true,
    mode: 0o700,
  });
  // The main thread opens the database first so migrations run exactly once.
  const db = Database.open(join(config.dataDir, "defensive.db"));
  const interrupted = db.transfers.interruptUnfinished(
    new Date().toISOString(),
  );
  if (interrupted > 0) {
    logger.warn("{count} transfers were interrupted by the last shutdown", {
      count: interrupted,
    });
  }
  // Session keys live in memory; a crash may have left some on disk.
  db.clients.forgetSessionKeys();
  const store = new FileStore(join(config.dataDir, "received_files"));
  // Before any worker starts: afterwards .tmp holds live uploads.
  const leftovers = await store.removeLeftovers();
  if (leftovers > 0) {
    logger.warn("Removed {count} partial uploads left by the last run", {
      count: leftovers,
    });
  }
  // Contents stored before schema 12 are named by SHA-256: hashed again and
  // renamed by BLAKE3, so that the files versioned next dedup against them.
  await readdressContents(db, store);
  // A data directory from before backup history: its files become version 1.
  await versionStoredFiles(db, store, new Date().toISOString());
  return { db, store };
}

function databaseUp(db: BackupStorage): boolean {
  try {
    db.status.ping();
    return true;
  } catch {
    return false;
  }
}

/** Starts the protocol server and the HTTP side on `config`. */
export async function startServer(
  config: ServerConfig,
  options: ServeOptions,
): Promise<RunningServer> {
  if (options.lock.dataDir !== config.dataDir) {
    throw new Error(
      `Cannot start: the lock held is on ${options.lock.dataDir}, not on the data directory ${config.dataDir}`,
    );
  }
  // A bad --trusted-proxy fails the start before anything listens.
  new TrustedProxies(config.trustedProxy);
  const { db, store } = await openData(config);
  // History maintenance (issue 13): recovery of a cut-off GC runs here,
  // before any worker can upload.
  const trash = new Trash(db, store, { trashDays: config.trashDays });
  const maintenance = new MaintenanceScheduler({
    db,
    files: store,
    trash,
    intervalMs: config.maintenanceIntervalMs,
  });
  maintenance.start();
  let tcp: TcpServer | undefined;
  // Client health and notifications (server/ops/): started once both sides listen.
  const ops = createOps(db, {
    version: options.version,
    tickMs: config.opsIntervalMs,
    dataDir: config.dataDir,
    minFreeBytes: config.minFreeBytes,
  });
  const stats = new Stats({
    maxConnections: () =>
      tcp?.limits.get().maxConnections ?? config.maxConnections,
    stored: () => db.status.counts(),
    recent: db.transfers.list({ pageSize: 20 }).rows,
  });
  // Every session event, from either transport, feeds both consumers.
  const onEvent: EventSink = (event) => {
    stats.apply(event);
    ops.onEvent(event);
  };
  try {
    tcp = await TcpServer.start({
      config,
      workers: config.workers,
      limits: config,
      onEvent,
    });
  } catch (error) {
    await maintenance.stop();
    db.close();
    throw error;
  }
  const pool = tcp;
  logger.info(
    "Protocol server listening on {host}:{port} with {workers} workers",
    {
      host: config.host,
      port: pool.port,
      workers: config.workers,
    },
  );
  const stopping = new AbortController();
  // The ports as bound: the configuration may have asked for port 0.
  const effective = { ...config, port: pool.port };
  // The browser client's JSON API drives the same session core over HTTP.
  const backupApi = createBackupApi({
    ctx: {
      db,
      store,
      events: onEvent,
      oaepHash: config.oaepHash,
      maxFileBytes: config.maxFileBytes,
      transport: "http",
    },
    maxPacketBytes: config.maxPacketBytes,
    bodyIdleMs: config.idleTimeoutMs,
    trustedProxy: config.trustedProxy,
  });
  const app = createApp({
    db,
    store,
    stats,
    logs: options.logs,
    config: effective,
    limits: {
      get: () => pool.limits.get(),
      set: (values) => pool.limits.set(values),
    },
    // From the workers alive now, not from the start: a dead one is replaced.
    health: () => ({ tcp: pool.listening, database: databaseUp(db) }),
    version: options.version,
    metricsToken: config.metricsToken,
    backupApi,
    history: { trash, maintenance },
    ops,
  }, { signal: stopping.signal });
  let http: ResilientHttpServer;
  try {
    // Survives EMFILE in the accept loop, which Deno.serve alone would let exit the process.
    http = new ResilientHttpServer({
      hostname: config.httpHost,
      port: config.httpPort,
    }, app.fetch);
  } catch (error) {
    await pool.stop(0);
    await backupApi.close();
    await maintenance.stop();
    db.close();
    throw new Error(
      `Cannot listen on ${config.httpHost}:${config.httpPort} for the portal: ${
        (error as Error).message
      } (choose another port with --http-port)`,
      { cause: error },
    );
  }
  // Only once both sides listen: a password made before a failed start
  // would never be shown, and nobody could sign in.
  const initialPassword = ensureAdminAccount(db);
  const httpPort = http.addr.port;
  effective.httpPort = httpPort;
  ops.start();
  logger.info("Portal listening on http://{host}:{port}", {
    host: config.httpHost,
    port: httpPort,
  });
  return {
    tcpPort: pool.port,
    httpPort,
    initialPassword,
    async stop() {
      logger.info("Shutting down: waiting up to {ms} ms for transfers", {
        ms: config.shutdownGraceMs,
      });
      stopping.abort();
      await ops.stop();
      await Promise.all([
        http.shutdown(),
        pool.stop(config.shutdownGraceMs),
        maintenance.stop(),
      ]);
      // Browser sessions still open: their uploads are recorded as aborted.
      await backupApi.close();
      db.close();
      logger.info("Server stopped");
    },
  };
}
