/**
 * Clients over SQLite: the protocol core's registration, keys and
 * bookkeeping (statements prepared once per connection) and the portal's
 * lists, filtered, sorted and paginated in SQL against the indexes of
 * schema.ts so that pages stay fast with 100,000 rows.
 * @module
 */
import type {
  DatabaseSync,
  SQLInputValue,
  SQLOutputValue,
  StatementSync,
} from "node:sqlite";
import { get, type Row, run, transaction } from "../sql.ts";
import type {
  ClientDialect,
  ClientRecord,
  ClientRow,
  ClientSort,
  ClientStorage,
  Page,
  PageQuery,
} from "../types.ts";
import { Conditions, escapeLike, orderBy, pageRows } from "./paging.ts";

/** How long a name registered without a key exchange stays reserved. */
/**
 * How long a re-keyed client may register again under its own id: its
 * name and id travel in clear, so the window in which knowing them is
 * enough to take the client (and restore its history) stays short.
 */
export const REKEY_WINDOW_MS = 15 * 60_000;

export const ABANDONED_NAME_GRACE_MS = 10 * 60_000;

/** How long `touch()` waits for the write lock. */
const TOUCH_BUSY_MS = 100;

/** The columns behind each order of the Clients page. */
export const CLIENT_SORTS = {
  name: "c.Name",
  lastSeen: "c.LastSeen",
  created: "c.CreatedAt",
} as const satisfies Record<ClientSort, string>;

/** A blob column, or null. */
export function blobOrNull(value: SQLOutputValue): Uint8Array | null {
  return value instanceof Uint8Array ? value : null;
}

/** A text column, or null. */
export function textOrNull(value: SQLOutputValue): string | null {
  return value === null ? null : String(value);
}

function toClient(row: Row): ClientRecord {
  return {
    id: row.ID as Uint8Array,
    name: String(row.Name),
    publicKey: blobOrNull(row.PublicKey),
    lastSeen: textOrNull(row.LastSeen),
    aesKey: blobOrNull(row.AESKey),
    createdAt: textOrNull(row.CreatedAt),
    rekeyUntil: textOrNull(row.RekeyUntil),
  };
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: DatabaseSync) {
  const clientColumns =
    "ID, Name, PublicKey, LastSeen, AESKey, CreatedAt, RekeyUntil";
  return {
    createClient: db.prepare(
      `INSERT INTO clients (ID, Name, CreatedAt, LastSeen) VALUES (?, ?, ?, ?)
       ON CONFLICT (Name) DO NOTHING`,
    ),
    reclaimName: db.prepare(
      `DELETE FROM clients WHERE Name = ? AND PublicKey IS NULL
       AND coalesce(CreatedAt, '') < ?
       AND NOT EXISTS (SELECT 1 FROM files WHERE files.ID = clients.ID)
       AND NOT EXISTS (SELECT 1 FROM versions WHERE versions.ClientID = clients.ID)`,
    ),
    clientById: db.prepare(`SELECT ${clientColumns} FROM clients WHERE ID = ?`),
    clientByName: db.prepare(
      `SELECT ${clientColumns} FROM clients WHERE Name = ?`,
    ),
    setKeys: db.prepare(
      `UPDATE clients SET PublicKey = coalesce(?, PublicKey), AESKey = ?,
       LastSeen = ?, KeyField = coalesce(?, KeyField),
       RekeyUntil = CASE WHEN ? IS NULL THEN RekeyUntil END WHERE ID = ?`,
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
    recordKeyFailure: db.prepare(
      "INSERT INTO key_failures (ClientID, At) VALUES (?, ?)",
    ),
    keyFailuresSince: db.prepare(
      "SELECT COUNT(*) AS n FROM key_failures WHERE ClientID = ? AND At > ?",
    ),
  } satisfies Record<string, StatementSync>;
}

/** {@link ClientStorage} over one SQLite connection. */
export class SqliteClients implements ClientStorage {
  readonly #db: DatabaseSync;
  readonly #sql: Statements;
  readonly #busyTimeoutMs: number;

  /** `busyTimeoutMs` is the connection's own, which `touch()` restores. */
  constructor(db: DatabaseSync, busyTimeoutMs: number) {
    this.#db = db;
    this.#sql = prepare(db);
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  /**
   * Sooner than the grace period, a stranger's 1025 could take the name
   * between a client's 1600 and 1026.
   */
  create(id: Uint8Array, name: string, now: string): boolean {
    if (id.length !== 16) {
      throw new RangeError(
        `Cannot create client: id has ${id.length} bytes instead of 16`,
      );
    }
    const action = "Cannot create client";
    return transaction(this.#db, () => {
      const cutoff = new Date(Date.parse(now) - ABANDONED_NAME_GRACE_MS);
      this.#run(action, "reclaimName", name, cutoff.toISOString());
      return this.#run(action, "createClient", id, name, now, now).changes > 0;
    });
  }

  byId(id: Uint8Array): ClientRecord | undefined {
    const row = this.#get("Cannot read client", "clientById", id);
    return row && toClient(row);
  }

  byName(name: string): ClientRecord | undefined {
    const row = this.#get("Cannot read client", "clientByName", name);
    return row && toClient(row);
  }

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
      // A new public key ends a re-key window.
      publicKey,
      id,
    );
    if (result.changes === 0) {
      throw new Error(`${action}: the client does not exist`);
    }
  }

  /** The session that used the key has ended; a newer session's key stays. */
  forgetSessionKey(id: Uint8Array, aesKey: Uint8Array): void {
    this.#run("Cannot clear session key", "forgetSessionKey", id, aesKey);
  }

  forgetSessionKeys(): number {
    return Number(
      this.#run("Cannot clear session keys", "forgetSessionKeys").changes,
    );
  }

  /** A size meaning of undefined (a single packet fits both) keeps the one known before. */
  recordUploadDialect(
    clientId: Uint8Array,
    dialect: { ivPrefix: boolean; sizes?: string; label: string },
    transferId?: number,
  ): void {
    const action = "Cannot record upload dialect";
    transaction(this.#db, () => {
      const prefix = dialect.ivPrefix ? 1 : 0;
      const sizes = dialect.sizes ?? null;
      this.#run(action, "clientUploadDialect", prefix, sizes, clientId);
      if (transferId !== undefined) {
        this.#run(action, "transferDialect", dialect.label, transferId);
      }
    });
  }

  /** Waits at most 100 ms for another connection's write lock, then throws. */
  touch(id: Uint8Array, now: string): void {
    // Bookkeeping must not hold a worker (every connection on it) for the
    // whole busy timeout while another process holds the write lock.
    const busy = this.#busyTimeoutMs;
    this.#db.exec(`PRAGMA busy_timeout = ${Math.min(busy, TOUCH_BUSY_MS)}`);
    try {
      this.#run("Cannot update last-seen time", "touch", now, id);
    } finally {
      this.#db.exec(`PRAGMA busy_timeout = ${busy}`);
    }
  }

  /** A client holding the session key never causes such a failure. */
  recordKeyFailure(clientId: Uint8Array, now: string): void {
    this.#run("Cannot record key failure", "recordKeyFailure", clientId, now);
  }

  keyFailuresSince(clientId: Uint8Array, since: string): number {
    const action = "Cannot count key failures";
    const row = this.#get(action, "keyFailuresSince", clientId, since);
    return Number(row?.n ?? 0);
  }

  list(
    query: PageQuery<ClientSort> & { q?: string } = {},
  ): Page<ClientRow> {
    const where = new Conditions();
    if (query.q) {
      where.add(
        `(c.Name LIKE ? ESCAPE '\\' OR lower(hex(c.ID)) LIKE ? ESCAPE '\\')`,
        `%${escapeLike(query.q)}%`,
        `${escapeLike(query.q.toLowerCase())}%`,
      );
    }
    const order = orderBy(
      CLIENT_SORTS,
      query.sort ?? "name",
      query.dir ?? "asc",
      "c.rowid",
    );
    // The unary + in "+f.Verified" keeps the planner off the Verified index:
    // without statistics it would count each client's verified files by
    // walking every verified file (issue 17), instead of the client's own.
    const result = pageRows<ClientRow>(this.#db, {
      from: "clients c",
      key: "c.rowid AS rid",
      where,
      order,
      query,
      select:
        `SELECT lower(hex(c.ID)) AS id, c.Name AS name, c.LastSeen AS lastSeen, c.CreatedAt AS createdAt,
            c.PublicKey IS NOT NULL AS hasKey,
            (SELECT count(*) FROM files f WHERE f.ID = c.ID) AS files,
            (SELECT count(*) FROM files f WHERE f.ID = c.ID AND +f.Verified = 1) AS verified,
            (SELECT coalesce(sum(f.Size), 0) FROM files f WHERE f.ID = c.ID) AS bytes
       FROM page CROSS JOIN clients c ON c.rowid = page.rid`,
    });
    for (const row of result.rows) row.hasKey = Boolean(row.hasKey);
    return result;
  }

  get(id: Uint8Array): ClientRow | undefined {
    const row = this.#db.prepare(
      `SELECT lower(hex(c.ID)) AS id, c.Name AS name, c.LastSeen AS lastSeen, c.CreatedAt AS createdAt,
            c.PublicKey IS NOT NULL AS hasKey,
            (SELECT count(*) FROM files f WHERE f.ID = c.ID) AS files,
            (SELECT count(*) FROM files f WHERE f.ID = c.ID AND +f.Verified = 1) AS verified,
            (SELECT coalesce(sum(f.Size), 0) FROM files f WHERE f.ID = c.ID) AS bytes
       FROM clients c WHERE c.ID = ?`,
    ).get(id) as ClientRow | undefined;
    if (row) row.hasKey = Boolean(row.hasKey);
    return row;
  }

  dialect(id: Uint8Array): ClientDialect | undefined {
    const row = this.#db.prepare(
      `SELECT KeyField AS keyField, IvPrefix AS ivPrefix, SizeMeaning AS sizeMeaning
       FROM clients WHERE ID = ?`,
    ).get(id);
    if (!row) return undefined;
    return {
      keyField: row.keyField === null ? null : String(row.keyField),
      ivPrefix: row.ivPrefix === null ? null : Number(row.ivPrefix) === 1,
      sizeMeaning: row.sizeMeaning === null ? null : String(row.sizeMeaning),
    };
  }

  delete(id: Uint8Array): boolean {
    const db = this.#db;
    return transaction(db, () => {
      db.prepare("DELETE FROM files WHERE ID = ?").run(id);
      // Its history goes with it: the content no version references any
      // more is then garbage collected.
      db.prepare("DELETE FROM versions WHERE ClientID = ?").run(id);
      // Its version numbers go too: nothing can take them again, since
      // registration gives a new client a new random id.
      db.prepare("DELETE FROM version_numbers WHERE ClientID = ?").run(id);
      db.prepare("DELETE FROM client_policies WHERE Scope = lower(hex(?))")
        .run(id);
      db.prepare("DELETE FROM ops_expectations WHERE ClientID = ?").run(id);
      db.prepare("DELETE FROM ops_client_states WHERE ClientID = ?").run(id);
      return Number(
        db.prepare("DELETE FROM clients WHERE ID = ?").run(id).changes,
      ) > 0;
    });
  }

  /**
   * The record becomes "name#revoked-<hex>". Nobody can send a key for the
   * old record: its name no longer matches, and 1026 needs a session that
   * registered or reconnected the client.
   */
  revokeKey(id: Uint8Array): boolean {
    const result = this.#db.prepare(
      `UPDATE clients SET PublicKey = NULL, AESKey = NULL,
       Name = Name || '#revoked-' || lower(hex(randomblob(4)))
     WHERE ID = ? AND PublicKey IS NOT NULL`,
    ).run(id);
    return Number(result.changes) > 0;
  }

  rekey(id: Uint8Array, now: string): boolean {
    const until = new Date(Date.parse(now) + REKEY_WINDOW_MS).toISOString();
    const result = this.#db.prepare(
      `UPDATE clients SET PublicKey = NULL, AESKey = NULL, RekeyUntil = ?
     WHERE ID = ? AND PublicKey IS NOT NULL`,
    ).run(until, id);
    return Number(result.changes) > 0;
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
