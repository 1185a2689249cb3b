/**
 * Maintenance over SQLite: keyset-paged reads of `versions` and `contents`
 * (each page a fresh statement over an index, so no read holds a snapshot
 * or the whole table), deletes whose WHERE re-checks what made them safe,
 * and `maintenance_runs`.
 * @module
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import type {
  ContentRow,
  MaintenanceStorage,
  RunFigures,
  RunKind,
  RunRecord,
  TrashedRow,
  VersionHead,
  VersionKey,
} from "../maintenance_types.ts";
import { attempt, get, type Row, run, transaction } from "../sql.ts";
import type { FileVersion, Page } from "../types.ts";
import { textOrNull } from "./clients.ts";
import { Conditions, marks, pageRows } from "./paging.ts";
import { toVersion } from "./versions.ts";

const VERSION_COLUMNS = `v.VersionID, v.ClientID, v.FileName, v.Number,
  v.Size, v.Checksum, v.Blake3, v.StoredAt, v.Transport, v.Dialect, v.Pinned,
  v.TrashedAt, v.TrashedBy`;

function withTrashedBy(row: Row): FileVersion & { trashedBy: string | null } {
  const version = toVersion(row) as FileVersion & { trashedBy: string | null };
  version.trashedBy = textOrNull(row.TrashedBy);
  return version;
}

function toRun(row: Row): RunRecord {
  return {
    id: Number(row.RunID),
    kind: String(row.Kind) as RunKind,
    scope: String(row.Scope),
    actor: String(row.Actor),
    owner: String(row.Owner),
    startedAt: String(row.StartedAt),
    updatedAt: String(row.UpdatedAt),
    finishedAt: textOrNull(row.FinishedAt),
    state: String(row.State) as RunRecord["state"],
    cursor: textOrNull(row.Cursor),
    examined: Number(row.Examined),
    removed: Number(row.Removed),
    files: Number(row.Files),
    bytes: Number(row.Bytes),
    error: textOrNull(row.Error),
  };
}

/** {@link MaintenanceStorage} over one SQLite connection. */
export class SqliteMaintenance implements MaintenanceStorage {
  readonly #db: DatabaseSync;
  #deleteContent?: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  keptVersionsAfter(
    after: VersionKey | undefined,
    limit: number,
    clientId?: Uint8Array,
  ): VersionHead[] {
    const where = new Conditions();
    where.add("v.TrashedAt IS NULL");
    if (clientId) where.add("v.ClientID = ?", clientId);
    if (after) {
      // A row value comparison walks the UNIQUE (ClientID, FileName, Number) index.
      where.add(
        "(v.ClientID, v.FileName, v.Number) > (?, ?, ?)",
        after.clientId,
        after.fileName,
        after.number,
      );
    }
    return attempt("Cannot read versions", () =>
      this.#db.prepare(
        `SELECT v.VersionID, v.ClientID, v.FileName, v.Number, v.StoredAt,
           v.Pinned, v.Size FROM versions v ${where.sql}
         ORDER BY v.ClientID, v.FileName, v.Number LIMIT ?`,
      ).all(...where.params, limit).map((row) => ({
        id: Number(row.VersionID),
        clientId: row.ClientID as Uint8Array,
        fileName: String(row.FileName),
        number: Number(row.Number),
        storedAt: String(row.StoredAt),
        pinned: Number(row.Pinned) !== 0,
        size: Number(row.Size),
      })));
  }

  deleteRetained(ids: readonly number[]): { removed: number; bytes: number } {
    if (ids.length === 0) return { removed: 0, bytes: 0 };
    // One statement per batch: the ids go in as one JSON array.
    const rows = attempt("Cannot delete versions", () =>
      this.#db.prepare(
        `DELETE FROM versions AS v
         WHERE v.VersionID IN (SELECT value FROM json_each(?))
           AND v.TrashedAt IS NULL AND v.Pinned = 0
           AND EXISTS (SELECT 1 FROM versions n WHERE n.ClientID = v.ClientID
             AND n.FileName = v.FileName AND n.Number > v.Number
             AND n.TrashedAt IS NULL)
         RETURNING Size`,
      ).all(JSON.stringify(ids)));
    return {
      removed: rows.length,
      bytes: rows.reduce((sum, row) => sum + Number(row.Size), 0),
    };
  }

  version(id: number) {
    const row = get(
      "Cannot read version",
      this.#db.prepare(
        `SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.VersionID = ?`,
      ),
      id,
    );
    return row ? withTrashedBy(row) : undefined;
  }

  markTrashed(id: number, by: string, now: string): boolean {
    return Number(
      run(
        "Cannot trash version",
        this.#db.prepare(
          `UPDATE versions SET TrashedAt = ?, TrashedBy = ?
           WHERE VersionID = ? AND TrashedAt IS NULL`,
        ),
        now,
        by,
        id,
      ).changes,
    ) > 0;
  }

  unmarkTrashed(id: number): boolean {
    return Number(
      run(
        "Cannot restore version",
        this.#db.prepare(
          `UPDATE versions SET TrashedAt = NULL, TrashedBy = NULL
           WHERE VersionID = ? AND TrashedAt IS NOT NULL`,
        ),
        id,
      ).changes,
    ) > 0;
  }

  trashed(
    query: { clientId?: Uint8Array; page?: number; pageSize?: number },
  ): Page<TrashedRow> {
    const where = new Conditions();
    where.add("t.TrashedAt IS NOT NULL");
    if (query.clientId) where.add("t.ClientID = ?", query.clientId);
    const page = attempt(
      "Cannot list the trash",
      () =>
        pageRows<Row>(this.#db, {
          from: "versions t",
          key: "t.VersionID AS vid, t.TrashedAt AS tat",
          where,
          order: "ORDER BY tat DESC, vid DESC",
          query,
          select:
            `SELECT page.tat, page.vid, ${VERSION_COLUMNS} FROM page CROSS JOIN versions v ON v.VersionID = page.vid`,
        }),
    );
    return {
      ...page,
      rows: page.rows.map((row) => withTrashedBy(row) as TrashedRow),
    };
  }

  trashedBefore(before: string, limit: number): number[] {
    return this.#ids(
      `SELECT VersionID FROM versions WHERE TrashedAt IS NOT NULL
         AND TrashedAt < ? ORDER BY TrashedAt LIMIT ?`,
      before,
      limit,
    );
  }

  trashedIds(limit: number, clientId?: Uint8Array): number[] {
    return clientId
      ? this.#ids(
        `SELECT VersionID FROM versions WHERE TrashedAt IS NOT NULL
           AND ClientID = ? LIMIT ?`,
        clientId,
        limit,
      )
      : this.#ids(
        "SELECT VersionID FROM versions WHERE TrashedAt IS NOT NULL LIMIT ?",
        limit,
      );
  }

  deleteTrashed(ids: readonly number[]): number {
    if (ids.length === 0) return 0;
    return Number(
      run(
        "Cannot purge versions",
        this.#db.prepare(
          `DELETE FROM versions WHERE TrashedAt IS NOT NULL
             AND VersionID IN (${marks(ids.length)})`,
        ),
        ...ids,
      ).changes,
    );
  }

  unreferencedAfter(after: string, limit: number): ContentRow[] {
    return attempt("Cannot read unreferenced contents", () =>
      this.#db.prepare(
        `SELECT c.Blake3, c.Size, c.StoredSize FROM contents c
         WHERE c.Blake3 > ? AND NOT EXISTS
           (SELECT 1 FROM versions v WHERE v.Blake3 = c.Blake3)
         ORDER BY c.Blake3 LIMIT ?`,
      ).all(after, limit).map((row) => ({
        blake3: String(row.Blake3),
        size: Number(row.Size),
        storedSize: Number(row.StoredSize),
      })));
  }

  deleteUnreferenced(blake3: string): boolean {
    // Prepared once: GC calls this for every collected content.
    this.#deleteContent ??= this.#db.prepare(
      `DELETE FROM contents WHERE Blake3 = ? AND NOT EXISTS
         (SELECT 1 FROM versions v WHERE v.Blake3 = contents.Blake3)`,
    );
    return Number(
      run("Cannot delete content", this.#deleteContent, blake3).changes,
    ) > 0;
  }

  existingContents(blake3s: readonly string[]): Set<string> {
    const found = new Set<string>();
    // SQLite allows 32766 parameters; stay far below.
    for (let i = 0; i < blake3s.length; i += 500) {
      const chunk = blake3s.slice(i, i + 500);
      const rows = attempt("Cannot read contents", () =>
        this.#db.prepare(
          `SELECT Blake3 FROM contents WHERE Blake3 IN (${
            marks(chunk.length)
          })`,
        ).all(...chunk));
      for (const row of rows) found.add(String(row.Blake3));
    }
    return found;
  }

  beginRun(
    start: { kind: RunKind; scope: string; actor: string; owner: string },
    now: string,
    isAlive: (run: RunRecord) => boolean,
  ): RunRecord | undefined {
    return transaction(this.#db, () => {
      const running = this.#db.prepare(
        "SELECT * FROM maintenance_runs WHERE Kind = ? AND State = 'running'",
      ).all(start.kind).map(toRun);
      if (running.some(isAlive)) return undefined;
      const interrupt = this.#db.prepare(
        `UPDATE maintenance_runs SET State = 'interrupted', FinishedAt = ?
         WHERE RunID = ?`,
      );
      for (const dead of running) {
        run("Cannot end run", interrupt, now, dead.id);
      }
      // Resume where the last run on this scope was cut off, unless one
      // finished after it.
      const last = get(
        "Cannot read runs",
        this.#db.prepare(
          `SELECT State, Cursor FROM maintenance_runs WHERE Kind = ? AND Scope = ?
           ORDER BY RunID DESC LIMIT 1`,
        ),
        start.kind,
        start.scope,
      );
      const cursor = last?.State === "interrupted"
        ? textOrNull(last.Cursor)
        : null;
      const id = Number(
        run(
          "Cannot start run",
          this.#db.prepare(
            `INSERT INTO maintenance_runs (Kind, Scope, Actor, Owner, StartedAt,
               UpdatedAt, Cursor) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          ),
          start.kind,
          start.scope,
          start.actor,
          start.owner,
          now,
          now,
          cursor,
        ).lastInsertRowid,
      );
      return this.run(id)!;
    });
  }

  progressRun(
    id: number,
    figures: RunFigures,
    cursor: string | null,
    now: string,
  ): void {
    run(
      "Cannot record run progress",
      this.#db.prepare(
        `UPDATE maintenance_runs SET Examined = ?, Removed = ?, Files = ?,
           Bytes = ?, Cursor = coalesce(?, Cursor), UpdatedAt = ?
         WHERE RunID = ?`,
      ),
      figures.examined,
      figures.removed,
      figures.files,
      figures.bytes,
      cursor,
      now,
      id,
    );
  }

  finishRun(
    id: number,
    state: "done" | "failed",
    error: string | null,
    now: string,
  ): void {
    run(
      "Cannot end run",
      this.#db.prepare(
        `UPDATE maintenance_runs SET State = ?, Error = ?, FinishedAt = ?,
           UpdatedAt = ? WHERE RunID = ?`,
      ),
      state,
      error,
      now,
      now,
      id,
    );
  }

  run(id: number): RunRecord | undefined {
    const row = get(
      "Cannot read run",
      this.#db.prepare("SELECT * FROM maintenance_runs WHERE RunID = ?"),
      id,
    );
    return row ? toRun(row) : undefined;
  }

  runs(limit: number, kind?: RunKind): RunRecord[] {
    return attempt("Cannot read runs", () =>
      (kind
        ? this.#db.prepare(
          "SELECT * FROM maintenance_runs WHERE Kind = ? ORDER BY RunID DESC LIMIT ?",
        ).all(kind, limit)
        : this.#db.prepare(
          "SELECT * FROM maintenance_runs ORDER BY RunID DESC LIMIT ?",
        ).all(limit)).map(toRun));
  }

  #ids(sql: string, ...params: SQLInputValue[]): number[] {
    return attempt(
      "Cannot read versions",
      () =>
        this.#db.prepare(sql).all(...params).map((row) =>
          Number(row.VersionID)
        ),
    );
  }
}
