/**
 * Administrator accounts, portal sessions and whole-database figures over
 * SQLite: the portal's storage besides clients, files and transfers.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type {
  AdminAccounts,
  PortalSessionRow,
  PortalSessions,
  StorageStatus,
} from "../types.ts";
import { count } from "./paging.ts";

/** {@link AdminAccounts} over one SQLite connection. */
export class SqliteAdminAccounts implements AdminAccounts {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  hash(name: string): string | undefined {
    const row = this.#db.prepare(
      "SELECT PasswordHash AS hash FROM admins WHERE Name = ?",
    ).get(name) as
      | { hash: string }
      | undefined;
    return row?.hash;
  }

  setHash(name: string, hash: string): void {
    this.#db.prepare(
      `INSERT INTO admins (Name, PasswordHash, UpdatedAt) VALUES (?, ?, ?)
       ON CONFLICT (Name) DO UPDATE SET PasswordHash = excluded.PasswordHash, UpdatedAt = excluded.UpdatedAt`,
    ).run(name, hash, new Date().toISOString());
  }

  count(): number {
    return count(this.#db, "SELECT count(*) AS n FROM admins", []);
  }
}

/** {@link PortalSessions} over one SQLite connection. */
export class SqlitePortalSessions implements PortalSessions {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  sweep(idleBefore: number, createdBefore: number): void {
    this.#db.prepare(
      "DELETE FROM portal_sessions WHERE LastSeen < ? OR CreatedAt < ?",
    ).run(idleBefore, createdBefore);
  }

  insert(idHash: string, user: string, now: number): void {
    this.#db.prepare(
      "INSERT INTO portal_sessions (IdHash, User, CreatedAt, LastSeen) VALUES (?, ?, ?, ?)",
    ).run(idHash, user, now, now);
  }

  find(idHash: string): PortalSessionRow | undefined {
    const row = this.#db.prepare(
      "SELECT User, CreatedAt, LastSeen FROM portal_sessions WHERE IdHash = ?",
    ).get(idHash) as
      | { User: string; CreatedAt: number; LastSeen: number }
      | undefined;
    return row &&
      { user: row.User, createdAt: row.CreatedAt, lastSeen: row.LastSeen };
  }

  touch(idHash: string, now: number): void {
    this.#db.prepare(
      "UPDATE portal_sessions SET LastSeen = ? WHERE IdHash = ?",
    ).run(now, idHash);
  }

  delete(idHash: string): void {
    this.#db.prepare("DELETE FROM portal_sessions WHERE IdHash = ?").run(
      idHash,
    );
  }

  deleteUser(user: string, keepHash: string): number {
    const result = this.#db.prepare(
      "DELETE FROM portal_sessions WHERE User = ? AND IdHash != ?",
    ).run(user, keepHash);
    return Number(result.changes);
  }
}

/** {@link StorageStatus} over one SQLite connection. */
export class SqliteStatus implements StorageStatus {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  counts(): { registeredClients: number; verifiedFiles: number } {
    const row = this.#db.prepare(
      `SELECT (SELECT count(*) FROM clients) AS clients,
            (SELECT count(*) FROM files WHERE Verified = 1) AS files`,
    ).get() as { clients: number; files: number };
    return { registeredClients: row.clients, verifiedFiles: row.files };
  }

  storedBytes(): number {
    return count(
      this.#db,
      "SELECT coalesce(sum(Size), 0) AS n FROM files",
      [],
    );
  }

  info(): { bytes: number; journalMode: string; schemaVersion: number } {
    const db = this.#db;
    const pages = db.prepare("PRAGMA page_count").get() as {
      page_count: number;
    };
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

  ping(): void {
    this.#db.prepare("SELECT 1").get();
  }
}
