/**
 * The queue of contents still addressed by SHA-256 over SQLite
 * (`contents_sha256`, filled by migration 12), and the move of one of them
 * to its BLAKE3 address: its `contents` row and the versions pointing at it.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { checkContentAddress } from "../content_address.ts";
import { attempt, get, run, transaction } from "../sql.ts";
import type { QueuedContent, ReaddressStorage } from "../readdress.ts";

function prepare(db: DatabaseSync) {
  return {
    pending: db.prepare("SELECT count(*) AS n FROM contents_sha256"),
    // `stored` is false once GC collected the content (its versions gone).
    queuedAfter: db.prepare(
      `SELECT s.Sha256, c.Blake3 IS NOT NULL AS stored FROM contents_sha256 s
       LEFT JOIN contents c ON c.Blake3 = s.Sha256
       WHERE s.Sha256 > ? ORDER BY s.Sha256 LIMIT ?`,
    ),
    hasContent: db.prepare("SELECT 1 AS x FROM contents WHERE Blake3 = ?"),
    copyContent: db.prepare(
      `INSERT INTO contents (Blake3, Size, StoredSize, Compression, CreatedAt)
       SELECT ?, Size, StoredSize, Compression, CreatedAt FROM contents
       WHERE Blake3 = ?`,
    ),
    repoint: db.prepare("UPDATE versions SET Blake3 = ? WHERE Blake3 = ?"),
    deleteContent: db.prepare("DELETE FROM contents WHERE Blake3 = ?"),
    dequeue: db.prepare("DELETE FROM contents_sha256 WHERE Sha256 = ?"),
  };
}

/** {@link ReaddressStorage} over one SQLite connection. */
export class SqliteReaddress implements ReaddressStorage {
  readonly #db: DatabaseSync;
  readonly #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  pending(): number {
    return Number(get("Cannot count queued contents", this.#sql.pending)?.n);
  }

  queuedAfter(after: string, limit: number): QueuedContent[] {
    return attempt(
      "Cannot read queued contents",
      () => this.#sql.queuedAfter.all(after, limit),
    ).map((row) => ({
      sha256: String(row.Sha256),
      stored: Number(row.stored) !== 0,
    }));
  }

  forget(sha256: string): void {
    run("Cannot dequeue content", this.#sql.dequeue, sha256);
  }

  move(sha256: string, blake3: string): boolean {
    checkContentAddress(blake3);
    const action = "Cannot re-address content";
    return transaction(this.#db, () => {
      const known = get(action, this.#sql.hasContent, blake3) !== undefined;
      if (!known) run(action, this.#sql.copyContent, blake3, sha256);
      run(action, this.#sql.repoint, blake3, sha256);
      run(action, this.#sql.deleteContent, sha256);
      run(action, this.#sql.dequeue, sha256);
      return known;
    });
  }
}
