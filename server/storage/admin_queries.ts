/**
 * The admin portal's SQL: listing, searching and deleting clients, files and
 * transfers. Every list is filtered, sorted and paginated in SQL against the
 * indexes of schema.ts, so pages stay fast with 100,000 rows.
 * Sort keys come from fixed maps, never from the request text.
 * @module
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { transaction } from "./sql.ts";

/** One page of rows plus the count of all matching rows. */
export interface Page<T> {
  rows: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** Which page to read and in which order. */
export interface PageQuery<S extends string> {
  sort?: S;
  dir?: "asc" | "desc";
  /** 1-based. */
  page?: number;
  pageSize?: number;
}

/** A client as the Clients page lists it. */
export interface ClientRow {
  id: string;
  name: string;
  lastSeen: string | null;
  createdAt: string | null;
  hasKey: boolean;
  files: number;
  verified: number;
  bytes: number;
}

/** A stored file as the Files page lists it. */
export interface FileRow {
  clientId: string;
  clientName: string | null;
  fileName: string;
  pathName: string;
  size: number | null;
  checksum: number | null;
  verified: boolean;
  storedAt: string | null;
}

/** One upload attempt as the Transfers page lists it. */
export interface TransferRow {
  id: number;
  clientId: string;
  clientName: string | null;
  fileName: string;
  transport: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: string;
  bytes: number;
  size: number | null;
  attempts: number;
  error: string | null;
}

export const CLIENT_SORTS = {
  name: "c.Name",
  lastSeen: "c.LastSeen",
  created: "c.CreatedAt",
} as const;
export const FILE_SORTS = {
  stored: "f.StoredAt",
  name: "f.FileName",
  size: "f.Size",
} as const;

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;

/** Counts of registered clients and verified files, to seed live statistics. */
export function countStored(
  db: DatabaseSync,
): { registeredClients: number; verifiedFiles: number } {
  const row = db.prepare(
    `SELECT (SELECT count(*) FROM clients) AS clients,
            (SELECT count(*) FROM files WHERE Verified = 1) AS files`,
  ).get() as { clients: number; files: number };
  return { registeredClients: row.clients, verifiedFiles: row.files };
}

/** Clients whose name contains `q` or whose hex id starts with it. */
export function listClients(
  db: DatabaseSync,
  query: PageQuery<keyof typeof CLIENT_SORTS> & { q?: string } = {},
): Page<ClientRow> {
  const where: string[] = [];
  const params: SQLInputValue[] = [];
  if (query.q) {
    where.push(
      `(c.Name LIKE ? ESCAPE '\\' OR lower(hex(c.ID)) LIKE ? ESCAPE '\\')`,
    );
    params.push(
      `%${escapeLike(query.q)}%`,
      `${escapeLike(query.q.toLowerCase())}%`,
    );
  }
  const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const order = orderBy(
    CLIENT_SORTS,
    query.sort ?? "name",
    query.dir ?? "asc",
    "c.rowid",
  );
  const { page, pageSize, offset } = pageOf(query);
  const total = count(
    db,
    `SELECT count(*) AS n FROM clients c ${filter}`,
    params,
  );
  // Page over the index first (rowids only), then build the rows that show;
  // CROSS JOIN keeps SQLite from scanning the table instead of the page.
  // The unary + in "+f.Verified" keeps the planner off the Verified index:
  // without statistics it would count each client's verified files by
  // walking every verified file (issue 17), instead of the client's own.
  const rows = db.prepare(
    `WITH page AS (SELECT c.rowid AS rid FROM clients c ${filter} ${order} LIMIT ? OFFSET ?)
     SELECT lower(hex(c.ID)) AS id, c.Name AS name, c.LastSeen AS lastSeen, c.CreatedAt AS createdAt,
            c.PublicKey IS NOT NULL AS hasKey,
            (SELECT count(*) FROM files f WHERE f.ID = c.ID) AS files,
            (SELECT count(*) FROM files f WHERE f.ID = c.ID AND +f.Verified = 1) AS verified,
            (SELECT coalesce(sum(f.Size), 0) FROM files f WHERE f.ID = c.ID) AS bytes
       FROM page CROSS JOIN clients c ON c.rowid = page.rid ${order}`,
  ).all(...params, pageSize, offset) as unknown as ClientRow[];
  for (const row of rows) row.hasKey = Boolean(row.hasKey);
  return { rows, total, page, pageSize };
}

/** One client, or undefined when the id is unknown. */
export function getClient(
  db: DatabaseSync,
  id: Uint8Array,
): ClientRow | undefined {
  const row = db.prepare(
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

/**
 * How a client speaks the protocol (docs/protocol.md, "Dialects"), as its
 * key exchange and last complete upload showed; nulls until they happen.
 */
export interface ClientDialect {
  /** "160", "162-junk" or "162". */
  keyField: string | null;
  ivPrefix: boolean | null;
  /** "total", "per-packet" or "either" (only single-packet uploads seen). */
  sizeMeaning: string | null;
}

/** The recorded dialect of a client, or undefined when the id is unknown. */
export function getClientDialect(
  db: DatabaseSync,
  id: Uint8Array,
): ClientDialect | undefined {
  const row = db.prepare(
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

/** Removes a client's file rows and the client itself; false when there was no such client. */
export function deleteClientRows(db: DatabaseSync, id: Uint8Array): boolean {
  return transaction(db, () => {
    db.prepare("DELETE FROM files WHERE ID = ?").run(id);
    return Number(
      db.prepare("DELETE FROM clients WHERE ID = ?").run(id).changes,
    ) > 0;
  });
}

/**
 * Forgets a client's public and session keys, so its next reconnect is
 * rejected, and frees its name (the record becomes "name#revoked-<hex>") so
 * the rightful user can register again with a new key. Nobody can send a key
 * for the old record: its name no longer matches, and 1026 needs a session
 * that registered or reconnected the client.
 */
export function revokeClientKey(db: DatabaseSync, id: Uint8Array): boolean {
  const result = db.prepare(
    `UPDATE clients SET PublicKey = NULL, AESKey = NULL,
       Name = Name || '#revoked-' || lower(hex(randomblob(4)))
     WHERE ID = ? AND PublicKey IS NOT NULL`,
  ).run(id);
  return Number(result.changes) > 0;
}

/**
 * Which client(s) a list shows: one id, or every client whose name contains
 * a text (case-insensitive for ASCII, as LIKE).
 */
export type ClientFilter = Uint8Array | { nameContains: string };

/** The WHERE term and its parameters restricting `column` to `client`. */
function clientTerm(
  column: string,
  client: ClientFilter,
): { term: string; params: SQLInputValue[] } {
  if (client instanceof Uint8Array) {
    return { term: `${column} = ?`, params: [client] };
  }
  return {
    term:
      `${column} IN (SELECT c2.ID FROM clients c2 WHERE c2.Name LIKE ? ESCAPE '\\')`,
    params: [`%${escapeLike(client.nameContains)}%`],
  };
}

/**
 * The WHERE term finding files whose name contains `q`, through the trigram
 * index of schema.ts (files_name_search). A text without LIKE's wildcards
 * (% and _) is handed to the index as is; with an ESCAPE clause FTS5 cannot
 * use the index and scans it, which is still right, only slower.
 */
function nameContainsTerm(q: string): { term: string; param: string } {
  const search =
    "f.rowid IN (SELECT rowid FROM files_name_search WHERE FileName LIKE ?";
  if (!/[%_]/.test(q)) return { term: `${search})`, param: `%${q}%` };
  return { term: `${search} ESCAPE '\\')`, param: `%${escapeLike(q)}%` };
}

/** Stored files, optionally of some clients, by verified state and name substring. */
export function listFiles(
  db: DatabaseSync,
  query: PageQuery<keyof typeof FILE_SORTS> & {
    client?: ClientFilter;
    verified?: boolean;
    q?: string;
  } = {},
): Page<FileRow> {
  const where: string[] = [];
  const params: SQLInputValue[] = [];
  if (query.client) {
    const { term, params: values } = clientTerm("f.ID", query.client);
    where.push(term);
    params.push(...values);
  }
  if (query.verified !== undefined) {
    where.push("f.Verified = ?");
    params.push(query.verified ? 1 : 0);
  }
  if (query.q) {
    const { term, param } = nameContainsTerm(query.q);
    where.push(term);
    params.push(param);
  }
  const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const order = orderBy(
    FILE_SORTS,
    query.sort ?? "stored",
    query.dir ?? "desc",
    "f.rowid",
  );
  const { page, pageSize, offset } = pageOf(query);
  const total = count(
    db,
    `SELECT count(*) AS n FROM files f ${filter}`,
    params,
  );
  const rows = db.prepare(
    `WITH page AS (SELECT f.rowid AS rid FROM files f ${filter} ${order} LIMIT ? OFFSET ?)
     SELECT lower(hex(f.ID)) AS clientId, c.Name AS clientName, f.FileName AS fileName,
            f.PathName AS pathName, f.Size AS size, f.Checksum AS checksum,
            f.Verified AS verified, f.StoredAt AS storedAt
       FROM page CROSS JOIN files f ON f.rowid = page.rid LEFT JOIN clients c ON c.ID = f.ID ${order}`,
  ).all(...params, pageSize, offset) as unknown as FileRow[];
  for (const row of rows) row.verified = Boolean(row.verified);
  return { rows, total, page, pageSize };
}

/** One file row, or undefined. */
export function getFile(
  db: DatabaseSync,
  client: Uint8Array,
  fileName: string,
): FileRow | undefined {
  const row = db.prepare(
    `SELECT lower(hex(f.ID)) AS clientId, c.Name AS clientName, f.FileName AS fileName,
            f.PathName AS pathName, f.Size AS size, f.Checksum AS checksum,
            f.Verified AS verified, f.StoredAt AS storedAt
       FROM files f LEFT JOIN clients c ON c.ID = f.ID WHERE f.ID = ? AND f.FileName = ?`,
  ).get(client, fileName) as FileRow | undefined;
  if (row) row.verified = Boolean(row.verified);
  return row;
}

/** Removes one file row; false when there was none. */
export function deleteFileRow(
  db: DatabaseSync,
  client: Uint8Array,
  fileName: string,
): boolean {
  const result = db.prepare("DELETE FROM files WHERE ID = ? AND FileName = ?")
    .run(client, fileName);
  return Number(result.changes) > 0;
}

/** Upload history, newest first, optionally of some clients and one outcome. */
export function listTransfers(
  db: DatabaseSync,
  query: Omit<PageQuery<never>, "sort" | "dir"> & {
    client?: ClientFilter;
    outcome?: string;
  } = {},
): Page<TransferRow> {
  const where: string[] = [];
  const params: SQLInputValue[] = [];
  if (query.client) {
    const { term, params: values } = clientTerm("t.ClientID", query.client);
    where.push(term);
    params.push(...values);
  }
  if (query.outcome) {
    where.push("t.Outcome = ?");
    params.push(query.outcome);
  }
  const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const { page, pageSize, offset } = pageOf(query);
  const total = count(
    db,
    `SELECT count(*) AS n FROM transfers t ${filter}`,
    params,
  );
  const order = "ORDER BY t.StartedAt DESC, t.TransferID DESC";
  const rows = db.prepare(
    `WITH page AS (SELECT t.TransferID AS tid FROM transfers t ${filter} ${order} LIMIT ? OFFSET ?)
     SELECT t.TransferID AS id, lower(hex(t.ClientID)) AS clientId, c.Name AS clientName,
            t.FileName AS fileName, t.Transport AS transport, t.StartedAt AS startedAt,
            t.FinishedAt AS finishedAt, t.Outcome AS outcome, t.Bytes AS bytes, t.Size AS size,
            t.Attempts AS attempts, t.Error AS error
       FROM page CROSS JOIN transfers t ON t.TransferID = page.tid LEFT JOIN clients c ON c.ID = t.ClientID ${order}`,
  ).all(...params, pageSize, offset) as unknown as TransferRow[];
  return { rows, total, page, pageSize };
}

/** Size and state of the database, for the dashboard. */
export function databaseInfo(
  db: DatabaseSync,
): { bytes: number; journalMode: string; schemaVersion: number } {
  const pages = db.prepare("PRAGMA page_count").get() as { page_count: number };
  const size = db.prepare("PRAGMA page_size").get() as { page_size: number };
  const journal = db.prepare("PRAGMA journal_mode").get() as {
    journal_mode: string;
  };
  const version = db.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };
  return {
    bytes: pages.page_count * size.page_size,
    journalMode: journal.journal_mode,
    schemaVersion: version.user_version,
  };
}

function orderBy<M extends Record<string, string>>(
  columns: M,
  sort: string,
  dir: "asc" | "desc",
  tiebreak: string,
): string {
  const column = Object.hasOwn(columns, sort)
    ? columns[sort]
    : Object.values(columns)[0];
  const direction = dir === "desc" ? "DESC" : "ASC";
  return `ORDER BY ${column} ${direction}, ${tiebreak} ${direction}`;
}

function pageOf(query: { page?: number; pageSize?: number }) {
  const pageSize = Math.min(
    MAX_PAGE_SIZE,
    Math.max(1, Math.trunc(query.pageSize ?? DEFAULT_PAGE_SIZE)),
  );
  const page = Math.max(1, Math.trunc(query.page ?? 1) || 1);
  return { page, pageSize, offset: (page - 1) * pageSize };
}

function count(db: DatabaseSync, sql: string, params: SQLInputValue[]): number {
  return (db.prepare(sql).get(...params) as { n: number }).n;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The stored password hash of an administrator, or undefined. */
export function getAdminHash(
  db: DatabaseSync,
  name: string,
): string | undefined {
  const row = db.prepare(
    "SELECT PasswordHash AS hash FROM admins WHERE Name = ?",
  ).get(name) as
    | { hash: string }
    | undefined;
  return row?.hash;
}

/** Creates or replaces an administrator's password hash. */
export function setAdminHash(
  db: DatabaseSync,
  name: string,
  hash: string,
): void {
  db.prepare(
    `INSERT INTO admins (Name, PasswordHash, UpdatedAt) VALUES (?, ?, ?)
       ON CONFLICT (Name) DO UPDATE SET PasswordHash = excluded.PasswordHash, UpdatedAt = excluded.UpdatedAt`,
  ).run(name, hash, new Date().toISOString());
}

/** Number of administrator accounts. */
export function countAdmins(db: DatabaseSync): number {
  return count(db, "SELECT count(*) AS n FROM admins", []);
}

/** Total size of the stored files' plaintext. */
export function storedBytes(db: DatabaseSync): number {
  return count(db, "SELECT coalesce(sum(Size), 0) AS n FROM files", []);
}
