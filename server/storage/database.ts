/**
 * `defensive.db`: every SQL statement of the protocol core, over one
 * `node:sqlite` connection per thread. The main thread and each TCP worker
 * open the same file; WAL mode and a busy timeout let them write side by
 * side. Timestamps come from the caller so that behaviour stays testable.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  DatabaseSync,
  type SQLInputValue,
  type SQLOutputValue,
  type StatementSync,
} from "node:sqlite";
import { undoInterruptedCommit } from "./recovery.ts";
import { MIGRATIONS } from "./schema.ts";
import { attempt, failure, get, type Row, run, transaction } from "./sql.ts";
import {
  SqliteAdminAccounts,
  SqlitePortalSessions,
  SqliteStatus,
} from "./sqlite/accounts.ts";
import { SqliteClientQueries } from "./sqlite/client_queries.ts";
import {
  SqliteFileQueries,
  SqliteTransferQueries,
} from "./sqlite/file_queries.ts";
import type { PortalStorage, TransferOutcome } from "./types.ts";

const logger = getLogger(["cyberbackup", "storage"]);

/** A row of `clients`. */
export interface ClientRecord {
  id: Uint8Array;
  name: string;
  publicKey: Uint8Array | null;
  lastSeen: string | null;
  aesKey: Uint8Array | null;
  createdAt: string | null;
}

/** A row of `files`. */
export interface FileRecord {
  clientId: Uint8Array;
  fileName: string;
  pathName: string;
  verified: boolean;
  size: number | null;
  checksum: number | null;
  storedAt: string | null;
}

/** A verified upload, as `recordVerifiedFile` stores it. */
export interface VerifiedFile {
  clientId: Uint8Array;
  fileName: string;
  /** Where the file store put it. */
  pathName: string;
  size: number;
  /** POSIX cksum of the plaintext. */
  checksum: number;
}

/** The start of an upload, as `startTransfer` records it. */
export interface NewTransfer {
  clientId: Uint8Array;
  fileName: string;
  transport: "tcp" | "http";
  /** Size of the whole ciphertext. */
  size: number;
  attempt: number;
}

/** How an upload ended, as `finishTransfer` records it. */
export interface TransferResult {
  outcome: Exclude<TransferOutcome, "in_progress">;
  bytes: number;
  checksum?: number;
  error?: string;
}

/** How to open the database. */
export interface DatabaseOptions {
  /** How long a statement waits for another connection's lock; 5000 ms by default. */
  busyTimeoutMs?: number;
  /** Opens without write access; the schema must already be current. */
  readOnly?: boolean;
}

/** How long `touch()` waits for the write lock. */
const TOUCH_BUSY_MS = 100;

function blobOrNull(value: SQLOutputValue): Uint8Array | null {
  return value instanceof Uint8Array ? value : null;
}

function textOrNull(value: SQLOutputValue): string | null {
  return value === null ? null : String(value);
}

function numberOrNull(value: SQLOutputValue): number | null {
  return value === null ? null : Number(value);
}

/** `Verified` as written by us (0/1) or by other tools ("true", "1"). */
function truthy(value: SQLOutputValue): boolean {
  if (typeof value === "string") return /^(?:1|true)$/i.test(value.trim());
  return value !== null && Number(value) !== 0;
}

function toClient(row: Row): ClientRecord {
  return {
    id: row.ID as Uint8Array,
    name: String(row.Name),
    publicKey: blobOrNull(row.PublicKey),
    lastSeen: textOrNull(row.LastSeen),
    aesKey: blobOrNull(row.AESKey),
    createdAt: textOrNull(row.CreatedAt),
  };
}

function toFile(row: Row): FileRecord {
  return {
    clientId: row.ID as Uint8Array,
    fileName: String(row.FileName),
    pathName: String(row.PathName),
    verified: truthy(row.Verified),
    size: numberOrNull(row.Size),
    checksum: numberOrNull(row.Checksum),
    storedAt: textOrNull(row.StoredAt),
  };
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

/** Every statement, prepared once per connection. */
function prepareStatements(db: DatabaseSync) {
  const clientColumns = "ID, Name, PublicKey, LastSeen, AESKey, CreatedAt";
  const fileColumns =
    "ID, FileName, PathName, Verified, Size, Checksum, StoredAt";
  return {
    createClient: db.prepare(
      `INSERT INTO clients (ID, Name, CreatedAt, LastSeen) VALUES (?, ?, ?, ?)
       ON CONFLICT (Name) DO NOTHING`,
    ),
    reclaimName: db.prepare(
      `DELETE FROM clients WHERE Name = ? AND PublicKey IS NULL
       AND coalesce(CreatedAt, '') < ?
       AND NOT EXISTS (SELECT 1 FROM files WHERE files.ID = clients.ID)`,
    ),
    clientById: db.prepare(`SELECT ${clientColumns} FROM clients WHERE ID = ?`),
    clientByName: db.prepare(
      `SELECT ${clientColumns} FROM clients WHERE Name = ?`,
    ),
    setKeys: db.prepare(
      `UPDATE clients SET PublicKey = coalesce(?, PublicKey), AESKey = ?,
       LastSeen = ?, KeyField = coalesce(?, KeyField) WHERE ID = ?`,
    ),
    clientUploadDialect: db.prepare(
      `UPDATE clients SET IvPrefix = ?,
       SizeMeaning = coalesce(?, SizeMeaning, 'either') WHERE ID = ?`,
    ),
    transferDialect: db.prepare(
      "UPDATE transfers SET Dialect = ? WHERE TransferID = ?",
    ),
    touch: db.prepare("UPDATE clients SET LastSeen = ? WHERE ID = ?"),
    forgetSessionKey: db.prepare(
      "UPDATE clients SET AESKey = NULL WHERE ID = ? AND AESKey = ?",
    ),
    forgetSessionKeys: db.prepare(
      "UPDATE clients SET AESKey = NULL WHERE AESKey IS NOT NULL",
    ),
    recordVerifiedFile: db.prepare(
      `INSERT INTO files (${fileColumns}) VALUES (?, ?, ?, 1, ?, ?, ?)
       ON CONFLICT (ID, FileName) DO UPDATE SET PathName = excluded.PathName,
       Verified = 1, Size = excluded.Size, Checksum = excluded.Checksum,
       StoredAt = excluded.StoredAt`,
    ),
    fileOf: db.prepare(
      `SELECT ${fileColumns} FROM files WHERE ID = ? AND FileName = ?`,
    ),
    startTransfer: db.prepare(
      `INSERT INTO transfers (ClientID, FileName, Transport, StartedAt, Size,
       Attempts) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    progressTransfer: db.prepare(
      `UPDATE transfers SET Bytes = ?
       WHERE TransferID = ? AND Outcome = 'in_progress'`,
    ),
    retryTransfer: db.prepare(
      `UPDATE transfers SET Attempts = Attempts + 1, Bytes = 0
       WHERE TransferID = ? AND Outcome = 'in_progress'`,
    ),
    finishTransfer: db.prepare(
      `UPDATE transfers SET Outcome = ?, Bytes = ?, Checksum = ?, Error = ?,
       FinishedAt = ? WHERE TransferID = ? AND Outcome = 'in_progress'`,
    ),
    recordKeyFailure: db.prepare(
      "INSERT INTO key_failures (ClientID, At) VALUES (?, ?)",
    ),
    keyFailuresSince: db.prepare(
      "SELECT COUNT(*) AS n FROM key_failures WHERE ClientID = ? AND At > ?",
    ),
    noteCommit: db.prepare(
      `UPDATE transfers SET CommitTemp = ?, CommitFinal = ?
       WHERE TransferID = ? AND Outcome = 'in_progress'`,
    ),
    unfinishedCommits: db.prepare(
      `SELECT t.CommitTemp, t.CommitFinal, f.ID IS NOT NULL AS Recorded
       FROM transfers t LEFT JOIN files f
         ON f.ID = t.ClientID AND f.FileName = t.FileName
       WHERE t.Outcome = 'in_progress' AND t.CommitTemp IS NOT NULL`,
    ),
    interruptUnfinished: db.prepare(
      `UPDATE transfers SET Outcome = 'interrupted', FinishedAt = ?,
       Error = coalesce(Error, 'the server stopped during the transfer')
       WHERE Outcome = 'in_progress'`,
    ),
  } satisfies Record<string, StatementSync>;
}

type Statements = ReturnType<typeof prepareStatements>;

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

/** How long a name registered without a key exchange stays reserved. */
export const ABANDONED_NAME_GRACE_MS = 10 * 60_000;

/**
 * How often a long-lived connection refreshes the query planner's
 * statistics (`PRAGMA optimize`, as SQLite recommends: hourly or daily).
 */
export const OPTIMIZE_INTERVAL_MS = 3600_000;

/** Something to wait on: `Atomics.wait` is a synchronous sleep. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** The protocol core's view of `defensive.db`. */
export class Database implements PortalStorage {
  /** The raw connection, for tests and benchmarks only: callers use the interfaces. */
  readonly handle: DatabaseSync;
  readonly clients: SqliteClientQueries;
  readonly files: SqliteFileQueries;
  readonly transfers: SqliteTransferQueries;
  readonly admins: SqliteAdminAccounts;
  readonly portalSessions: SqlitePortalSessions;
  readonly status: SqliteStatus;
  #sql: Statements;
  #open = true;
  #busyTimeoutMs: number;
  #optimizer?: ReturnType<typeof setInterval>;

  private constructor(
    handle: DatabaseSync,
    busyTimeoutMs: number,
    readOnly: boolean,
  ) {
    this.handle = handle;
    this.clients = new SqliteClientQueries(handle);
    this.files = new SqliteFileQueries(handle);
    this.transfers = new SqliteTransferQueries(handle);
    this.admins = new SqliteAdminAccounts(handle);
    this.portalSessions = new SqlitePortalSessions(handle);
    this.status = new SqliteStatus(handle);
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#sql = prepareStatements(handle);
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
   * Inserts a client. Returns false, rather than throwing, when the name is
   * already registered: that is an expected answer (1601), not a failure.
   * A name whose client never completed a key exchange and stored nothing
   * is taken over once {@link ABANDONED_NAME_GRACE_MS} have passed since
   * its registration: that registration was abandoned (its connection died
   * before 1026), and keeping it would lock the name forever. Sooner, a
   * stranger's 1025 could take the name between a client's 1600 and 1026.
   */
  createClient(id: Uint8Array, name: string, now: string): boolean {
    if (id.length !== 16) {
      throw new RangeError(
        `Cannot create client: id has ${id.length} bytes instead of 16`,
      );
    }
    const action = "Cannot create client";
    return this.transaction(() => {
      const cutoff = new Date(Date.parse(now) - ABANDONED_NAME_GRACE_MS);
      this.#run(action, "reclaimName", name, cutoff.toISOString());
      return this.#run(action, "createClient", id, name, now, now).changes > 0;
    });
  }

  /** The client with this id, if any. */
  clientById(id: Uint8Array): ClientRecord | undefined {
    const row = this.#get("Cannot read client", "clientById", id);
    return row && toClient(row);
  }

  /** The client with this name, if any. */
  clientByName(name: string): ClientRecord | undefined {
    const row = this.#get("Cannot read client", "clientByName", name);
    return row && toClient(row);
  }

  /**
   * Stores the session AES key and, on a first key exchange, the public key
   * and the form of the key field it came in (a reconnect keeps the stored
   * ones). Throws when the client is gone, for instance deleted from the
   * portal meanwhile.
   */
  setKeys(
    id: Uint8Array,
    keys: { publicKey?: Uint8Array; aesKey: Uint8Array; keyField?: string },
    now: string,
  ): void {
    const action = "Cannot store keys";
    const publicKey = keys.publicKey ?? null;
    const result = this.#run(
      action,
      "setKeys",
      publicKey,
      keys.aesKey,
      now,
      keys.keyField ?? null,
      id,
    );
    if (result.changes === 0) {
      throw new Error(`${action}: the client does not exist`);
    }
  }

  /**
   * Clears the client's stored AES key when it is still `aesKey`: the
   * session that used it has ended, and a newer session's key stays.
   */
  forgetSessionKey(id: Uint8Array, aesKey: Uint8Array): void {
    this.#run("Cannot clear session key", "forgetSessionKey", id, aesKey);
  }

  /** Clears every stored AES key (at start: no session survives a restart). */
  forgetSessionKeys(): number {
    return Number(
      this.#run("Cannot clear session keys", "forgetSessionKeys").changes,
    );
  }

  /**
   * Records how a client sent its last complete upload (docs/protocol.md,
   * "Dialects"), on the client and on the upload's transfer. A size meaning
   * of undefined (a single packet fits both) keeps the one known before.
   */
  recordUploadDialect(
    clientId: Uint8Array,
    dialect: { ivPrefix: boolean; sizes?: string; label: string },
    transferId?: number,
  ): void {
    const action = "Cannot record upload dialect";
    this.transaction(() => {
      const prefix = dialect.ivPrefix ? 1 : 0;
      const sizes = dialect.sizes ?? null;
      this.#run(action, "clientUploadDialect", prefix, sizes, clientId);
      if (transferId !== undefined) {
        this.#run(action, "transferDialect", dialect.label, transferId);
      }
    });
  }

  /**
   * Updates LastSeen; a client deleted meanwhile is silently skipped. Waits
   * at most 100 ms for another connection's write lock, then throws.
   */
  touch(id: Uint8Array, now: string): void {
    // Bookkeeping must not hold a worker (every connection on it) for the
    // whole busy timeout while another process holds the write lock.
    const busy = this.#busyTimeoutMs;
    this.handle.exec(`PRAGMA busy_timeout = ${Math.min(busy, TOUCH_BUSY_MS)}`);
    try {
      this.#run("Cannot update last-seen time", "touch", now, id);
    } finally {
      this.handle.exec(`PRAGMA busy_timeout = ${busy}`);
    }
  }

  /** Inserts or replaces the files row as verified, keeping other tools' columns. */
  recordVerifiedFile(file: VerifiedFile, now: string): void {
    const { clientId, fileName, pathName, size, checksum } = file;
    const action = "Cannot record verified file";
    const values = [clientId, fileName, pathName, size, checksum, now];
    this.#run(action, "recordVerifiedFile", ...values);
  }

  /** The files row of this client and name, if any. */
  fileOf(clientId: Uint8Array, fileName: string): FileRecord | undefined {
    const action = "Cannot read file record";
    const row = this.#get(action, "fileOf", clientId, fileName);
    return row && toFile(row);
  }

  /** Opens a transfers row 'in_progress'; returns its TransferID. */
  startTransfer(t: NewTransfer, now: string): number {
    const values = [
      t.clientId,
      t.fileName,
      t.transport,
      now,
      t.size,
      t.attempt,
    ];
    const result = this.#run(
      "Cannot start transfer",
      "startTransfer",
      ...values,
    );
    return Number(result.lastInsertRowid);
  }

  /** Records how many bytes of a running transfer have arrived. */
  progressTransfer(id: number, bytes: number): void {
    this.#run("Cannot record transfer progress", "progressTransfer", bytes, id);
  }

  /** Counts one more attempt of a running transfer (a resend after 1030). */
  retryTransfer(id: number): void {
    this.#run("Cannot retry transfer", "retryTransfer", id);
  }

  /**
   * Closes a running transfer with its outcome. A transfer already closed
   * (for instance marked interrupted) keeps its first outcome.
   */
  finishTransfer(id: number, result: TransferResult, now: string): void {
    const { outcome, bytes } = result;
    const values = [
      outcome,
      bytes,
      result.checksum ?? null,
      result.error ?? null,
    ];
    this.#run("Cannot finish transfer", "finishTransfer", ...values, now, id);
  }

  /**
   * Remembers that an upload of this client did not decrypt under its
   * session key, which a client holding the key never causes.
   */
  recordKeyFailure(clientId: Uint8Array, now: string): void {
    this.#run("Cannot record key failure", "recordKeyFailure", clientId, now);
  }

  /** How many uploads of this client failed to decrypt after `since` (ISO-8601). */
  keyFailuresSince(clientId: Uint8Array, since: string): number {
    const action = "Cannot count key failures";
    const row = this.#get(action, "keyFailuresSince", clientId, since);
    return Number(row?.n ?? 0);
  }

  /**
   * Notes, before a verified upload is renamed into place, where it goes:
   * if the process dies before the transaction recording it commits, the
   * next start undoes the rename (see `interruptUnfinishedTransfers`).
   */
  noteCommit(
    transferId: number,
    paths: { tempPath: string; finalPath: string },
  ): void {
    const { tempPath, finalPath } = paths;
    const action = "Cannot note commit";
    this.#run(action, "noteCommit", tempPath, finalPath, transferId);
  }

  /**
   * At start-up, marks every transfer still 'in_progress' (the process died
   * under it) as 'interrupted'. Returns how many. First undoes the rename of
   * any of them that died between putting its file in place and recording
   * it (recovery.ts), so the file under each name is the one recorded; call
   * it before `FileStore.removeLeftovers()`, which deletes what that needs.
   * Throws, marking nothing, when a rename cannot be undone: the start must
   * stop there, or removeLeftovers() would delete the previous copy.
   */
  interruptUnfinishedTransfers(now: string): number {
    const action = "Cannot mark unfinished transfers interrupted";
    const commits = attempt(
      action,
      () => this.#sql.unfinishedCommits.all(),
    );
    let failed: Error | undefined;
    for (const row of commits) {
      const path = String(row.CommitFinal);
      try {
        undoInterruptedCommit({
          tempPath: String(row.CommitTemp),
          finalPath: path,
          recorded: Number(row.Recorded) === 1,
        });
      } catch (error) {
        logger.error("Cannot undo interrupted commit of {path}: {error}", {
          path,
          error,
        });
        failed ??= failure(`Cannot undo interrupted commit of ${path}`, error);
      }
    }
    // Left 'in_progress', the transfers are undone again at the next start.
    if (failed) throw failed;
    return Number(this.#run(action, "interruptUnfinished", now).changes);
  }

  /**
   * Runs `fn` inside BEGIN IMMEDIATE ... COMMIT (taking the write lock up
   * front, so it cannot deadlock on an upgrade), rolling back when it throws.
   * Nested calls become savepoints. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T {
    return transaction(this.handle, fn);
  }

  #run(action: string, name: keyof Statements, ...values: SQLInputValue[]) {
    return run(action, this.#sql[name], ...values);
  }

  #get(
    action: string,
    name: keyof Statements,
    ...values: SQLInputValue[]
  ): Row | undefined {
    return get(action, this.#sql[name], ...values);
  }
}
