/**
 * Stored files over SQLite: the verified uploads the protocol core records
 * and the portal's list, filtered, sorted and paginated in SQL against the
 * indexes of schema.ts.
 * @module
 */
import type { DatabaseSync, SQLOutputValue } from "node:sqlite";
import { get, type Row, run } from "../sql.ts";
import type {
  ClientFilter,
  FileRecord,
  FileRow,
  FileSort,
  FileStorage,
  Page,
  PageQuery,
  VerifiedFile,
} from "../types.ts";
import { textOrNull } from "./clients.ts";
import { Conditions, escapeLike, orderBy, pageRows } from "./paging.ts";

function numberOrNull(value: SQLOutputValue): number | null {
  return value === null ? null : Number(value);
}

/** `Verified` as written by us (0/1) or by other tools ("true", "1"). */
function truthy(value: SQLOutputValue): boolean {
  if (typeof value === "string") return /^(?:1|true)$/i.test(value.trim());
  return value !== null && Number(value) !== 0;
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

const FILE_COLUMNS =
  "ID, FileName, PathName, Verified, Size, Checksum, StoredAt";

function prepare(db: DatabaseSync) {
  return {
    recordVerified: db.prepare(
      `INSERT INTO files (${FILE_COLUMNS}) VALUES (?, ?, ?, 1, ?, ?, ?)
       ON CONFLICT (ID, FileName) DO UPDATE SET PathName = excluded.PathName,
       Verified = 1, Size = excluded.Size, Checksum = excluded.Checksum,
       StoredAt = excluded.StoredAt`,
    ),
    of: db.prepare(
      `SELECT ${FILE_COLUMNS} FROM files WHERE ID = ? AND FileName = ?`,
    ),
  };
}

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

/** {@link FileStorage} over one SQLite connection. */
export class SqliteFiles implements FileStorage {
  readonly #db: DatabaseSync;
  #statements?: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Prepared at first use, once: a connection that only lists files never needs them. */
  get #sql() {
    return this.#statements ??= prepare(this.#db);
  }

  recordVerified(file: VerifiedFile, now: string): void {
    const { clientId, fileName, pathName, size, checksum } = file;
    const action = "Cannot record verified file";
    const values = [clientId, fileName, pathName, size, checksum, now];
    run(action, this.#sql.recordVerified, ...values);
  }

  of(clientId: Uint8Array, fileName: string): FileRecord | undefined {
    const action = "Cannot read file record";
    const row = get(action, this.#sql.of, clientId, fileName);
    return row && toFile(row);
  }

  list(
    query: PageQuery<FileSort> & {
      client?: ClientFilter;
      verified?: boolean;
      q?: string;
    } = {},
  ): Page<FileRow> {
    const where = new Conditions();
    if (query.client) where.client("f.ID", query.client);
    if (query.verified !== undefined) {
      where.add("f.Verified = ?", query.verified ? 1 : 0);
    }
    if (query.q) {
      const { term, param } = nameContainsTerm(query.q);
      where.add(term, param);
    }
    const order = orderBy(
      FILE_SORTS,
      query.sort ?? "stored",
      query.dir ?? "desc",
      "f.rowid",
    );
    const result = pageRows<FileRow>(this.#db, {
      from: "files f",
      key: "f.rowid AS rid",
      where,
      order,
      query,
      select:
        `SELECT lower(hex(f.ID)) AS clientId, c.Name AS clientName, f.FileName AS fileName,
            f.PathName AS pathName, f.Size AS size, f.Checksum AS checksum,
            f.Verified AS verified, f.StoredAt AS storedAt
       FROM page CROSS JOIN files f ON f.rowid = page.rid LEFT JOIN clients c ON c.ID = f.ID`,
    });
    for (const row of result.rows) row.verified = Boolean(row.verified);
    return result;
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
