/**
 * Filtering, sorting and paging helpers of the SQLite list queries. Sort
 * keys come from fixed maps, never from the request text.
 * @module
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { ClientFilter } from "../types.ts";

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

/** The WHERE term and its parameters restricting `column` to `client`. */
export function clientTerm(
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
