/**
 * The upload history over SQLite: each transfer from start to outcome, the
 * crash-recovery notes of its commit, and the portal's list.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { undoInterruptedCommit } from "../recovery.ts";
import { attempt, failure, run } from "../sql.ts";
import type {
  ClientFilter,
  NewTransfer,
  Page,
  PageQuery,
  TransferOutcome,
  TransferResult,
  TransferRow,
  TransferStorage,
} from "../types.ts";
import { Conditions, pageRows } from "./paging.ts";

const logger = getLogger(["cyberbackup", "storage"]);

type Statements = ReturnType<typeof prepare>;

function prepare(db: DatabaseSync) {
  return {
    startTransfer: db.prepare(
      `INSERT INTO transfers (ClientID, FileName, Transport, StartedAt, Size,
       Attempts) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    progressTransfer: db.prepare(
      `UPDATE transfers SET Bytes = ?
       WHERE TransferID = ? AND Outcome = 'in_progress'`,
    ),
    retryTransfer: db.prepare(
      `UPDATE transfers SET Attempts = Attempts + 1, Bytes = 0
       WHERE TransferID = ? AND Outcome = 'in_progress'`,
    ),
    finishTransfer: db.prepare(
      `UPDATE transfers SET Outcome = ?, Bytes = ?, Checksum = ?, Error = ?,
       FinishedAt = ? WHERE TransferID = ? AND Outcome = 'in_progress'`,
    ),
    noteCommit: db.prepare(
      `UPDATE transfers SET CommitTemp = ?, CommitFinal = ?
       WHERE TransferID = ? AND Outcome = 'in_progress'`,
    ),
    unfinishedCommits: db.prepare(
      `SELECT t.CommitTemp, t.CommitFinal, f.ID IS NOT NULL AS Recorded
       FROM transfers t LEFT JOIN files f
         ON f.ID = t.ClientID AND f.FileName = t.FileName
       WHERE t.Outcome = 'in_progress' AND t.CommitTemp IS NOT NULL`,
    ),
    interruptUnfinished: db.prepare(
      `UPDATE transfers SET Outcome = 'interrupted', FinishedAt = ?,
       Error = coalesce(Error, 'the server stopped during the transfer')
       WHERE Outcome = 'in_progress'`,
    ),
  } satisfies Record<string, StatementSync>;
}

/** {@link TransferStorage} over one SQLite connection. */
export class SqliteTransfers implements TransferStorage {
  readonly #db: DatabaseSync;
  readonly #sql: Statements;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  start(t: NewTransfer, now: string): number {
    const values = [
      t.clientId,
      t.fileName,
      t.transport,
      now,
      t.size,
      t.attempt,
    ];
    const result = this.#run(
      "Cannot start transfer",
      "startTransfer",
      ...values,
    );
    return Number(result.lastInsertRowid);
  }

  progress(id: number, bytes: number): void {
    this.#run("Cannot record transfer progress", "progressTransfer", bytes, id);
  }

  retry(id: number): void {
    this.#run("Cannot retry transfer", "retryTransfer", id);
  }

  finish(id: number, result: TransferResult, now: string): void {
    const { outcome, bytes } = result;
    const values = [
      outcome,
      bytes,
      result.checksum ?? null,
      result.error ?? null,
    ];
    this.#run("Cannot finish transfer", "finishTransfer", ...values, now, id);
  }

  /** If the process dies before the transaction recording the upload commits, `interruptUnfinished` undoes the rename. */
  noteCommit(
    transferId: number,
    paths: { tempPath: string; finalPath: string },
  ): void {
    const { tempPath, finalPath } = paths;
    const action = "Cannot note commit";
    this.#run(action, "noteCommit", tempPath, finalPath, transferId);
  }

  /**
   * The undoing (recovery.ts) makes the file under each name the one
   * recorded; call this before `FileStore.removeLeftovers()`, which deletes
   * what it needs. Throws, marking nothing, when a rename cannot be undone:
   * the start must stop there, or removeLeftovers() would delete the
   * previous copy.
   */
  interruptUnfinished(now: string): number {
    const action = "Cannot mark unfinished transfers interrupted";
    const commits = attempt(
      action,
      () => this.#sql.unfinishedCommits.all(),
    );
    let failed: Error | undefined;
    for (const row of commits) {
      const path = String(row.CommitFinal);
      try {
        undoInterruptedCommit({
          tempPath: String(row.CommitTemp),
          finalPath: path,
          recorded: Number(row.Recorded) === 1,
        });
      } catch (error) {
        logger.error("Cannot undo interrupted commit of {path}: {error}", {
          path,
          error,
        });
        failed ??= failure(`Cannot undo interrupted commit of ${path}`, error);
      }
    }
    // Left 'in_progress', the transfers are undone again at the next start.
    if (failed) throw failed;
    return Number(this.#run(action, "interruptUnfinished", now).changes);
  }

  list(
    query: Omit<PageQuery<never>, "sort" | "dir"> & {
      client?: ClientFilter;
      outcome?: TransferOutcome;
    } = {},
  ): Page<TransferRow> {
    const where = new Conditions();
    if (query.client) where.client("t.ClientID", query.client);
    if (query.outcome) where.add("t.Outcome = ?", query.outcome);
    return pageRows<TransferRow>(this.#db, {
      from: "transfers t",
      key: "t.TransferID AS tid",
      where,
      order: "ORDER BY t.StartedAt DESC, t.TransferID DESC",
      query,
      select:
        `SELECT t.TransferID AS id, lower(hex(t.ClientID)) AS clientId, c.Name AS clientName,
            t.FileName AS fileName, t.Transport AS transport, t.StartedAt AS startedAt,
            t.FinishedAt AS finishedAt, t.Outcome AS outcome, t.Bytes AS bytes, t.Size AS size,
            t.Attempts AS attempts, t.Error AS error
       FROM page CROSS JOIN transfers t ON t.TransferID = page.tid LEFT JOIN clients c ON c.ID = t.ClientID`,
    });
  }

  #run(action: string, name: keyof Statements, ...values: SQLInputValue[]) {
    return run(action, this.#sql[name], ...values);
  }
}
