/**
 * The portal's client queries over SQLite. Lists are filtered, sorted and
 * paginated in SQL against the indexes of schema.ts, so pages stay fast
 * with 100,000 rows.
 * @module
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { transaction } from "../sql.ts";
import type {
  ClientDialect,
  ClientQueries,
  ClientRow,
  ClientSort,
  Page,
  PageQuery,
} from "../types.ts";
import { count, escapeLike, orderBy, pageOf } from "./paging.ts";

/** The columns behind each order of the Clients page. */
export const CLIENT_SORTS = {
  name: "c.Name",
  lastSeen: "c.LastSeen",
  created: "c.CreatedAt",
} as const satisfies Record<ClientSort, string>;

/** {@link ClientQueries} over one SQLite connection. */
export class SqliteClientQueries implements ClientQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  list(
    query: PageQuery<ClientSort> & { q?: string } = {},
  ): Page<ClientRow> {
    const db = this.#db;
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
}
