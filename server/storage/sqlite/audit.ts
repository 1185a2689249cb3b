/**
 * The audit log of administrators' acts over SQLite: rows are appended,
 * never changed, and read newest first.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { AuditEntry, AuditLog, Page } from "../types.ts";
import { Conditions, escapeLike, pageRows } from "./paging.ts";

/** {@link AuditLog} over one SQLite connection. */
export class SqliteAuditLog implements AuditLog {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  record(entry: Omit<AuditEntry, "id">): number {
    const result = this.#db.prepare(
      `INSERT INTO audit_log (At, Actor, Address, Action, Target, Detail)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(
      entry.at,
      entry.actor,
      entry.address,
      entry.action,
      entry.target,
      entry.detail,
    );
    return Number(result.lastInsertRowid);
  }

  list(
    query: Parameters<AuditLog["list"]>[0] = {},
  ): Page<AuditEntry> {
    const where = new Conditions();
    if (query.actor) where.add("a.Actor = ?", query.actor);
    if (query.action) {
      // "client" matches itself and "client.<anything>".
      where.add(
        "(a.Action = ? OR a.Action LIKE ? ESCAPE '\\')",
        query.action,
        `${escapeLike(query.action)}.%`,
      );
    }
    if (query.since) where.add("a.At >= ?", query.since);
    if (query.until) where.add("a.At < ?", query.until);
    return pageRows<AuditEntry>(this.#db, {
      from: "audit_log a",
      key: "a.AuditID AS aid",
      where,
      order: "ORDER BY aid DESC",
      query,
      select: `SELECT a.AuditID AS id, a.At AS at, a.Actor AS actor,
         a.Address AS address, a.Action AS action, a.Target AS target,
         a.Detail AS detail
       FROM page CROSS JOIN audit_log a ON a.AuditID = page.aid`,
    });
  }
}
