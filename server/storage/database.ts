/**
 * `defensive.db` over SQLite: opening, migrating and closing one
 * `node:sqlite` connection per thread, and the {@link BackupStorage} parts
 * over it (server/storage/sqlite/). The main thread and each TCP worker
 * open the same file; WAL mode and a busy timeout let them write side by
 * side. Timestamps come from the caller so that behaviour stays testable.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS } from "./schema.ts";
import { attempt, failure, transaction } from "./sql.ts";
import {
  SqliteAdminAccounts,
  SqlitePortalSessions,
  SqliteStatus,
} from "./sqlite/accounts.ts";
import { SqliteAuditLog } from "./sqlite/audit.ts";
import { SqliteClients } from "./sqlite/clients.ts";
import { SqliteFiles } from "./sqlite/files.ts";
import { SqliteMaintenance } from "./sqlite/maintenance.ts";
import { SqlitePolicies } from "./sqlite/policies.ts";
import { SqliteOps } from "./sqlite/ops.ts";
import { SqliteReaddress } from "./sqlite/readdress.ts";
import { SqliteTransfers } from "./sqlite/transfers.ts";
import { SqliteVersions } from "./sqlite/versions.ts";
import type { BackupStorage } from "./types.ts";

const logger = getLogger(["cyberbackup", "storage"]);

/** How to open the database. */
export interface DatabaseOptions {
  /** How long a statement waits for another connection's lock; 5000 ms by default. */
  busyTimeoutMs?: number;
  /** Opens without write access; the schema must already be current. */
  readOnly?: boolean;
}

/** The specification's columns (`docs/protocol.md`, "Server state") that other tools read. */
export const SPEC_COLUMNS = {
  clients: ["ID", "Name", "PublicKey", "LastSeen", "AESKey"],
  files: ["ID", "FileName", "PathName", "Verified"],
} as const;

/** How many migrations have run (`PRAGMA user_version`). */
function userVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get();
  return Number(row?.user_version ?? 0);
}

/**
 * True when a database at version 0 already holds the specification's two
 * tables (`docs/protocol.md`, "Server state"), made by another tool: the
 * first migration then counts as done. Throws
 * when only one of them, or one without the spec's columns, is there.
 */
function adoptSpecTables(db: DatabaseSync): boolean {
  const existing = new Set(
    db.prepare(
      `SELECT lower(name) AS name FROM sqlite_master
       WHERE type = 'table' AND lower(name) IN ('clients', 'files')`,
    ).all().map((row) => String(row.name)),
  );
  if (existing.size === 0) return false;
  for (const [table, columns] of Object.entries(SPEC_COLUMNS)) {
    if (!existing.has(table)) {
      throw new Error(`table ${table} is missing next to the existing ones`);
    }
    const present = new Set(
      db.prepare(`PRAGMA table_info(${table})`).all()
        .map((row) => String(row.name).toLowerCase()),
    );
    const missing = columns.filter((c) => !present.has(c.toLowerCase()));
    if (missing.length > 0) {
      throw new Error(`table ${table} lacks columns ${missing.join(", ")}`);
    }
  }
  return true;
}

/** Sets the per-connection pragmas that make several connections cooperate. */
function configure(db: DatabaseSync, options: Required<DatabaseOptions>) {
  db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs}`);
  db.exec("PRAGMA foreign_keys = ON");
  if (options.readOnly) return;
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
}

/**
 * Brings the schema up to the last of MIGRATIONS in one transaction. The
 * version is re-read under the write lock, so connections opening at once
 * migrate exactly once.
 */
function migrate(db: DatabaseSync, path: string): void {
  const target = MIGRATIONS.length;
  if (userVersion(db) === target) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    let version = userVersion(db);
    if (version === 0 && adoptSpecTables(db)) {
      logger.info("Adopting the existing tables of {path}", { path });
      version = 1;
    }
    if (version > target) {
      throw new Error(
        `schema version ${version} is newer than this server's ${target}`,
      );
    }
    for (; version < target; version++) {
      attempt(
        `Cannot migrate to schema version ${version + 1}`,
        () => db.exec(MIGRATIONS[version]),
      );
      logger.info("Migrated {path} to schema version {version}", {
        path,
        version: version + 1,
      });
    }
    db.exec(`PRAGMA user_version = ${target}`);
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/**
 * How often a long-lived connection refreshes the query planner's
 * statistics (`PRAGMA optimize`, as SQLite recommends: hourly or daily).
 */
export const OPTIMIZE_INTERVAL_MS = 3600_000;

/** Something to wait on: `Atomics.wait` is a synchronous sleep. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** The protocol core's view of `defensive.db`. */
export class Database implements BackupStorage {
  /** The raw connection, for tests and benchmarks only: callers use the interfaces. */
  readonly handle: DatabaseSync;
  readonly clients: SqliteClients;
  readonly files: SqliteFiles;
  readonly transfers: SqliteTransfers;
  readonly admins: SqliteAdminAccounts;
  readonly portalSessions: SqlitePortalSessions;
  readonly status: SqliteStatus;
  readonly audit: SqliteAuditLog;
  /** Retention, trash and GC (server/history/), apart from BackupStorage's callers. */
  readonly maintenance: SqliteMaintenance;
  readonly versions: SqliteVersions;
  readonly policies: SqlitePolicies;
  readonly ops: SqliteOps;
  /** Contents still addressed by SHA-256 (readdress.ts), apart from BackupStorage's callers. */
  readonly readdress: SqliteReaddress;
  #open = true;
  #optimizer?: ReturnType<typeof setInterval>;

  private constructor(
    handle: DatabaseSync,
    busyTimeoutMs: number,
    readOnly: boolean,
  ) {
    this.handle = handle;
    this.clients = new SqliteClients(handle, busyTimeoutMs);
    this.files = new SqliteFiles(handle);
    this.transfers = new SqliteTransfers(handle);
    this.admins = new SqliteAdminAccounts(handle);
    this.portalSessions = new SqlitePortalSessions(handle);
    this.status = new SqliteStatus(handle);
    this.audit = new SqliteAuditLog(handle);
    this.maintenance = new SqliteMaintenance(handle);
    this.versions = new SqliteVersions(handle);
    this.policies = new SqlitePolicies(handle);
    this.ops = new SqliteOps(handle);
    this.readdress = new SqliteReaddress(handle);
    if (readOnly) return;
    // The portal's pages need the planner to know the tables' sizes: without
    // statistics it pages /clients by scanning (issue 17). Unref'd, the timer
    // never keeps the process alive.
    const optimizer = setInterval(() => {
      try {
        this.optimize();
      } catch (error) {
        logger.warn("Cannot refresh query statistics: {error}", { error });
      }
    }, OPTIMIZE_INTERVAL_MS);
    Deno.unrefTimer(optimizer);
    this.#optimizer = optimizer;
  }

  /**
   * Refreshes the query planner's statistics of the tables that need it
   * (`PRAGMA optimize`, cheap when nothing changed); the connection does it
   * at open and every OPTIMIZE_INTERVAL_MS on its own.
   */
  optimize(): void {
    attempt(
      "Cannot refresh query statistics",
      () => this.handle.exec("PRAGMA optimize"),
    );
  }

  /**
   * Opens (creating if needed) the database file, makes it ready for
   * concurrent connections (WAL, busy timeout, foreign keys, synchronous
   * NORMAL) and runs pending migrations. A file made by another tool with
   * only the two tables of `docs/protocol.md` is migrated forward with its rows.
   */
  static open(path: string, options: DatabaseOptions = {}): Database {
    const settings = {
      busyTimeoutMs: options.busyTimeoutMs ?? 5000,
      readOnly: options.readOnly ?? false,
    };
    if (
      !Number.isSafeInteger(settings.busyTimeoutMs) ||
      settings.busyTimeoutMs < 0
    ) {
      throw new RangeError(
        `Cannot open database: busy timeout ${settings.busyTimeoutMs} is not a non-negative integer`,
      );
    }
    const deadline = Date.now() + settings.busyTimeoutMs;
    for (let pause = 5;; pause = Math.min(pause * 2, 100)) {
      try {
        return Database.#openOnce(path, settings);
      } catch (error) {
        // Connections that open one fresh file at once can meet SQLite's
        // deadlock avoidance while it turns to WAL: SQLITE_BUSY at once,
        // without the busy handler. A moment later the same open succeeds.
        const locked = /database is locked/.test((error as Error).message);
        if (!locked || Date.now() + pause > deadline) throw error;
        Atomics.wait(PAUSE, 0, 0, pause);
      }
    }
  }

  static #openOnce(
    path: string,
    settings: Required<DatabaseOptions>,
  ): Database {
    const handle = attempt(
      `Cannot open database ${path}`,
      () => new DatabaseSync(path, { readOnly: settings.readOnly }),
    );
    try {
      configure(handle, settings);
      if (settings.readOnly) {
        const version = userVersion(handle);
        if (version !== MIGRATIONS.length) {
          throw new Error(
            `schema version ${version} is not this server's ${MIGRATIONS.length}; open it once read-write to migrate`,
          );
        }
      } else {
        migrate(handle, path);
        // At open, check every table, not only those this connection used
        // (0x10000), analysing those never analysed or grown 25-fold (0x02).
        handle.exec("PRAGMA optimize = 0x10002");
      }
      return new Database(handle, settings.busyTimeoutMs, settings.readOnly);
    } catch (error) {
      handle.close();
      throw failure(`Cannot open database ${path}`, error);
    }
  }

  /** Closes the connection; later calls do nothing. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    clearInterval(this.#optimizer);
    attempt("Cannot close database", () => this.handle.close());
  }

  /**
   * Runs `fn` inside BEGIN IMMEDIATE ... COMMIT (taking the write lock up
   * front, so it cannot deadlock on an upgrade), rolling back when it throws.
   * Nested calls become savepoints. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T {
    return transaction(this.handle, fn);
  }
}
