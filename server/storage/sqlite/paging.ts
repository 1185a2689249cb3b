/**
 * Filtering, sorting and paging helpers of the SQLite list queries. Sort
 * keys come from fixed maps, never from the request text.
 * @module
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { ClientFilter, Page } from "../types.ts";

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;

/** The ORDER BY clause for `sort` (the first column when unknown), with a tiebreak. */
export function orderBy<M extends Record<string, string>>(
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

/** The page, clamped page size and row offset a query asks for. */
export function pageOf(query: { page?: number; pageSize?: number }) {
  const pageSize = Math.min(
    MAX_PAGE_SIZE,
    Math.max(1, Math.trunc(query.pageSize ?? DEFAULT_PAGE_SIZE)),
  );
  const page = Math.max(1, Math.trunc(query.page ?? 1) || 1);
  return { page, pageSize, offset: (page - 1) * pageSize };
}

/** `?, ?, ?` for n values. */
export function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** The `n` column of a counting query. */
export function count(
  db: DatabaseSync,
  sql: string,
  params: SQLInputValue[],
): number {
  return (db.prepare(sql).get(...params) as { n: number }).n;
}

/** `text` with LIKE's wildcards and the escape character escaped by a backslash. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The WHERE terms of a list and their parameters, added one condition at a time. */
export class Conditions {
  readonly #terms: string[] = [];
  readonly params: SQLInputValue[] = [];

  /** Adds `term` (with `?` placeholders) and the values for them. */
  add(term: string, ...params: SQLInputValue[]): void {
    this.#terms.push(term);
    this.params.push(...params);
  }

  /** Restricts `column` (a client id) to the clients `filter` picks. */
  client(column: string, filter: ClientFilter): void {
    if (filter instanceof Uint8Array) {
      this.add(`${column} = ?`, filter);
    } else {
      this.add(
        `${column} IN (SELECT c2.ID FROM clients c2 WHERE c2.Name LIKE ? ESCAPE '\\')`,
        `%${escapeLike(filter.nameContains)}%`,
      );
    }
  }

  /** The WHERE clause, or "" when there is no condition. */
  get sql(): string {
    return this.#terms.length ? `WHERE ${this.#terms.join(" AND ")}` : "";
  }
}

/**
 * One page of a list and the count of all matching rows. Pages over the
 * index first (`key` only), then `select` builds the rows that show from
 * `page`: a CROSS JOIN there keeps SQLite from scanning the table instead.
 */
export function pageRows<T>(
  db: DatabaseSync,
  list: {
    /** Table and alias, e.g. "files f". */
    from: string;
    /** The key column the page holds, e.g. "f.rowid AS rid". */
    key: string;
    where: Conditions;
    order: string;
    query: { page?: number; pageSize?: number };
    /** "SELECT ... FROM page CROSS JOIN ..." without the ORDER BY. */
    select: string;
  },
): Page<T> {
  const { from, key, where, order } = list;
  const { page, pageSize, offset } = pageOf(list.query);
  const total = count(
    db,
    `SELECT count(*) AS n FROM ${from} ${where.sql}`,
    where.params,
  );
  const rows = db.prepare(
    `WITH page AS (SELECT ${key} FROM ${from} ${where.sql} ${order} LIMIT ? OFFSET ?)
     ${list.select} ${order}`,
  ).all(...where.params, pageSize, offset) as unknown as T[];
  return { rows, total, page, pageSize };
}
