/**
 * The portal's file and transfer queries over SQLite, filtered, sorted and
 * paginated in SQL against the indexes of schema.ts.
 * @module
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type {
  ClientFilter,
  FileQueries,
  FileRow,
  FileSort,
  Page,
  PageQuery,
  TransferQueries,
  TransferRow,
} from "../types.ts";
import { clientTerm, count, escapeLike, orderBy, pageOf } from "./paging.ts";

/** The columns behind each order of the Files page. */
export const FILE_SORTS = {
  stored: "f.StoredAt",
  name: "f.FileName",
  size: "f.Size",
} as const satisfies Record<FileSort, string>;

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

/** {@link FileQueries} over one SQLite connection. */
export class SqliteFileQueries implements FileQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  list(
    query: PageQuery<FileSort> & {
      client?: ClientFilter;
      verified?: boolean;
      q?: string;
    } = {},
  ): Page<FileRow> {
    const db = this.#db;
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

  get(client: Uint8Array, fileName: string): FileRow | undefined {
    const row = this.#db.prepare(
      `SELECT lower(hex(f.ID)) AS clientId, c.Name AS clientName, f.FileName AS fileName,
            f.PathName AS pathName, f.Size AS size, f.Checksum AS checksum,
            f.Verified AS verified, f.StoredAt AS storedAt
       FROM files f LEFT JOIN clients c ON c.ID = f.ID WHERE f.ID = ? AND f.FileName = ?`,
    ).get(client, fileName) as FileRow | undefined;
    if (row) row.verified = Boolean(row.verified);
    return row;
  }

  delete(client: Uint8Array, fileName: string): boolean {
    const result = this.#db.prepare(
      "DELETE FROM files WHERE ID = ? AND FileName = ?",
    ).run(client, fileName);
    return Number(result.changes) > 0;
  }
}

/** {@link TransferQueries} over one SQLite connection. */
export class SqliteTransferQueries implements TransferQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  list(
    query: Omit<PageQuery<never>, "sort" | "dir"> & {
      client?: ClientFilter;
      outcome?: string;
    } = {},
  ): Page<TransferRow> {
    const db = this.#db;
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
}
