/**
 * The one way the SQLite backend runs SQL: statements whose errors name the
 * failed action, and transactions (nested ones as savepoints). Every storage
 * module goes through these, so a failure reads the same wherever it happens.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type {
  DatabaseSync,
  SQLInputValue,
  SQLOutputValue,
  StatementSync,
} from "node:sqlite";

const logger = getLogger(["cyberbackup", "storage"]);

/** A row as `node:sqlite` returns it. */
export type Row = Record<string, SQLOutputValue>;

/** An Error naming the failed action, keeping SQLite's error as `cause`. */
export function failure(action: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`${action}: ${reason}`, { cause: error });
}

/** Runs `fn`, turning whatever it throws into a `failure(action)`. */
export function attempt<T>(action: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw failure(action, error);
  }
}

/** Runs a statement that changes rows, naming `action` when it fails. */
export function run(
  action: string,
  statement: StatementSync,
  ...values: SQLInputValue[]
) {
  return attempt(action, () => statement.run(...values));
}

/** Reads the first row of a statement, naming `action` when it fails. */
export function get(
  action: string,
  statement: StatementSync,
  ...values: SQLInputValue[]
): Row | undefined {
  return attempt(action, () => statement.get(...values));
}

/** How deep each connection is in `transaction` calls. */
const depths = new WeakMap<DatabaseSync, number>();

/**
 * Runs `fn` inside BEGIN IMMEDIATE ... COMMIT on `db` (taking the write lock
 * up front, so it cannot deadlock on an upgrade), rolling back when it
 * throws. Nested calls become savepoints. `fn` must be synchronous.
 */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  const depth = depths.get(db) ?? 0;
  const savepoint = depth > 0 ? `nested_${depth}` : undefined;
  attempt("Cannot begin transaction", () =>
    db.exec(
      savepoint ? `SAVEPOINT ${savepoint}` : "BEGIN IMMEDIATE",
    ));
  depths.set(db, depth + 1);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      result.catch(() => {});
      throw new TypeError(
        "Cannot run transaction: the callback returned a promise",
      );
    }
  } catch (error) {
    depths.set(db, depth);
    rollback(db, savepoint);
    throw error;
  }
  depths.set(db, depth);
  try {
    db.exec(savepoint ? `RELEASE ${savepoint}` : "COMMIT");
  } catch (error) {
    rollback(db, savepoint);
    throw failure("Cannot commit transaction", error);
  }
  return result;
}

function rollback(db: DatabaseSync, savepoint: string | undefined): void {
  try {
    if (savepoint) {
      db.exec(`ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
    } else if (db.isTransaction) {
      db.exec("ROLLBACK");
    }
  } catch (error) {
    logger.error("Cannot roll back transaction: {error}", { error });
  }
}
