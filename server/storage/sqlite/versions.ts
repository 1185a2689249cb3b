/**
 * Backup history over SQLite (`versions`, `contents`): each verified upload
 * of a (client, name) is a numbered version; its content is stored once by
 * BLAKE3. The `files` row of a name stays its newest kept version, so
 * tools that read `defensive.db` keep working (docs/history.md).
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { toHex } from "../../../shared/encoding.ts";
import { checkContentAddress } from "../content_address.ts";
import { get, type Row, run, transaction } from "../sql.ts";
import type {
  ClientUsage,
  FileVersion,
  NewVersion,
  Page,
  PageQuery,
  VersionedName,
  VersionStorage,
} from "../types.ts";
import { Conditions, count, pageOf, pageRows } from "./paging.ts";

const VERSION_COLUMNS =
  `VersionID, ClientID, FileName, Number, Size, Checksum, Blake3, StoredAt,
   Transport, Dialect, Pinned, TrashedAt`;

/** Kept versions: those no administrator moved to the trash. */
const KEPT = "TrashedAt IS NULL";

/** A versions row as a {@link FileVersion} (maintenance.ts reads the same columns). */
export function toVersion(row: Row): FileVersion {
  return {
    id: Number(row.VersionID),
    clientId: row.ClientID as Uint8Array,
    fileName: String(row.FileName),
    number: Number(row.Number),
    size: Number(row.Size),
    checksum: Number(row.Checksum),
    blake3: String(row.Blake3),
    storedAt: String(row.StoredAt),
    transport: row.Transport === "http" ? "http" : "tcp",
    dialect: row.Dialect === null ? null : String(row.Dialect),
    pinned: Number(row.Pinned) !== 0,
    trashedAt: row.TrashedAt === null ? null : String(row.TrashedAt),
  };
}

function prepare(db: DatabaseSync) {
  const select = `SELECT ${VERSION_COLUMNS} FROM versions`;
  return {
    // Past the name's high-water mark, so a purged number is never issued
    // again, and past its rows, which a tool or an older release may have
    // written without raising the mark.
    nextNumber: db.prepare(
      `INSERT INTO version_numbers (ClientID, FileName, LastNumber)
       VALUES (?1, ?2, 1 + (SELECT coalesce(max(Number), 0) FROM versions
                            WHERE ClientID = ?1 AND FileName = ?2))
       ON CONFLICT (ClientID, FileName) DO UPDATE
         SET LastNumber = max(LastNumber + 1, excluded.LastNumber)
       RETURNING LastNumber AS n`,
    ),
    addContent: db.prepare(
      `INSERT INTO contents (Blake3, Size, StoredSize, CreatedAt)
       VALUES (?, ?, ?, ?) ON CONFLICT (Blake3) DO NOTHING`,
    ),
    addVersion: db.prepare(
      `INSERT INTO versions (ClientID, FileName, Number, Blake3, Size, Checksum,
         StoredAt, Transport, Dialect, TransferID)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // A name new to the files table gets `pathName`; an existing row keeps
    // its PathName when none is given, and other tools' columns.
    recordFile: db.prepare(
      `INSERT INTO files (ID, FileName, PathName, Verified, Size, Checksum, StoredAt)
       VALUES (?, ?, ?, 1, ?, ?, ?)
       ON CONFLICT (ID, FileName) DO UPDATE SET
         PathName = coalesce(?, PathName), Verified = 1, Size = excluded.Size,
         Checksum = excluded.Checksum, StoredAt = excluded.StoredAt`,
    ),
    hasContent: db.prepare("SELECT 1 AS x FROM contents WHERE Blake3 = ?"),
    byId: db.prepare(`${select} WHERE VersionID = ?`),
    listKept: db.prepare(
      `${select} WHERE ClientID = ? AND FileName = ? AND ${KEPT} ORDER BY Number`,
    ),
    listAll: db.prepare(
      `${select} WHERE ClientID = ? AND FileName = ? ORDER BY Number`,
    ),
    byNumber: db.prepare(
      `${select} WHERE ClientID = ? AND FileName = ? AND Number = ?`,
    ),
    at: db.prepare(
      `${select} WHERE ClientID = ? AND FileName = ? AND ${KEPT} AND StoredAt <= ?
       ORDER BY StoredAt DESC, Number DESC LIMIT 1`,
    ),
    latest: db.prepare(
      `${select} WHERE ClientID = ? AND FileName = ? AND ${KEPT}
       ORDER BY Number DESC LIMIT 1`,
    ),
    names: db.prepare(
      `SELECT FileName, count(*) AS n FROM versions
       WHERE ClientID = ? AND ${KEPT} GROUP BY FileName ORDER BY FileName
       LIMIT ? OFFSET ?`,
    ),
    setPinned: db.prepare("UPDATE versions SET Pinned = ? WHERE VersionID = ?"),
    usage: db.prepare(
      `SELECT count(*) AS versions, coalesce(sum(Size), 0) AS bytes
       FROM versions WHERE ClientID = ? AND ${KEPT}`,
    ),
    keptTotals: db.prepare(
      `SELECT count(*) AS versions, coalesce(sum(Size), 0) AS bytes
       FROM versions WHERE ${KEPT}`,
    ),
    unversioned: db.prepare(
      `SELECT f.rowid AS rid, f.ID, f.FileName, f.StoredAt FROM files f
       WHERE f.rowid > ? AND (f.Verified = 1 OR lower(trim(f.Verified)) = 'true')
         AND NOT EXISTS (SELECT 1 FROM versions v
                         WHERE v.ClientID = f.ID AND v.FileName = f.FileName)
       ORDER BY f.rowid LIMIT ?`,
    ),
    hasVersion: db.prepare(
      "SELECT 1 AS x FROM versions WHERE ClientID = ? AND FileName = ?",
    ),
    storedBytes: db.prepare(
      "SELECT coalesce(sum(StoredSize), 0) AS bytes FROM contents",
    ),
    // Covered by the UNIQUE (ClientID, FileName, Number) index.
    countOfName: db.prepare(
      "SELECT count(*) AS n FROM versions WHERE ClientID = ? AND FileName = ?",
    ),
    distinctBytes: db.prepare(
      `SELECT coalesce(sum(c.Size), 0) AS bytes FROM contents c
       WHERE c.Blake3 IN (SELECT Blake3 FROM versions
                          WHERE ClientID = ? AND ${KEPT})`,
    ),
  } satisfies Record<string, StatementSync>;
}

type Statements = ReturnType<typeof prepare>;

/** {@link VersionStorage} over one SQLite connection. */
export class SqliteVersions implements VersionStorage {
  readonly #db: DatabaseSync;
  #statements?: Statements;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Prepared at first use, once: most connections never read history. */
  get #sql(): Statements {
    return this.#statements ??= prepare(this.#db);
  }

  /**
   * Also writes the files row: `version.pathName` where given, else an
   * existing row keeps its PathName (a new one gets `<client hex>/<name>`).
   */
  add(version: NewVersion, now: string): FileVersion {
    const action = "Cannot record version";
    const { clientId, fileName, size, checksum, blake3 } = version;
    checkContentAddress(blake3);
    const write = () => {
      const number = this.#nextNumber(action, clientId, fileName);
      run(action, this.#sql.addContent, blake3, size, size, now);
      const result = run(
        action,
        this.#sql.addVersion,
        clientId,
        fileName,
        number,
        blake3,
        size,
        checksum,
        now,
        version.transport,
        version.dialect ?? null,
        version.transferId ?? null,
      );
      const fallback = `${toHex(clientId)}/${fileName}`;
      run(
        action,
        this.#sql.recordFile,
        clientId,
        fileName,
        version.pathName ?? fallback,
        size,
        checksum,
        now,
        version.pathName ?? null,
      );
      return {
        id: Number(result.lastInsertRowid),
        clientId,
        fileName,
        number,
        size,
        checksum,
        blake3,
        storedAt: now,
        transport: version.transport,
        dialect: version.dialect ?? null,
        pinned: false,
        trashedAt: null,
      };
    };
    // Part of the caller's transaction when there is one (the upload's
    // commit), else atomic on its own.
    return this.#db.isTransaction ? write() : transaction(this.#db, write);
  }

  /**
   * Verified files rows with no version, after rowid `after`, in rowid
   * order: the stored files of a release from before history, which the
   * upgrade (upgrade.ts) makes version 1 of their names.
   */
  unversioned(
    after: number,
    limit: number,
  ): {
    rowid: number;
    clientId: Uint8Array;
    fileName: string;
    storedAt: string | null;
  }[] {
    return this.#sql.unversioned.all(after, limit).map((row) => ({
      rowid: Number(row.rid),
      clientId: row.ID as Uint8Array,
      fileName: String(row.FileName),
      storedAt: row.StoredAt === null ? null : String(row.StoredAt),
    }));
  }

  /**
   * Records a file stored before history as the first version of its name
   * (number 1, unless the name had versions that were all purged), with
   * its contents row, leaving its files row as it is; false, recording
   * nothing, when the name has a version already. Call inside the
   * transaction that links the file into the content store.
   */
  addFirst(
    version: Omit<NewVersion, "pathName" | "transferId">,
    storedAt: string,
    now: string,
  ): boolean {
    const action = "Cannot record version";
    const { clientId, fileName, size, checksum, blake3 } = version;
    checkContentAddress(blake3);
    if (get(action, this.#sql.hasVersion, clientId, fileName)) return false;
    run(action, this.#sql.addContent, blake3, size, size, now);
    run(
      action,
      this.#sql.addVersion,
      clientId,
      fileName,
      this.#nextNumber(action, clientId, fileName),
      blake3,
      size,
      checksum,
      storedAt,
      version.transport,
      version.dialect ?? null,
      null,
    );
    return true;
  }

  /** Takes the name's next number; inside the transaction that uses it. */
  #nextNumber(action: string, clientId: Uint8Array, fileName: string): number {
    return Number(get(action, this.#sql.nextNumber, clientId, fileName)?.n);
  }

  hasContent(blake3: string): boolean {
    return get("Cannot look up content", this.#sql.hasContent, blake3) !==
      undefined;
  }

  get(id: number): FileVersion | undefined {
    const row = get("Cannot read version", this.#sql.byId, id);
    return row && toVersion(row);
  }

  list(
    clientId: Uint8Array,
    fileName: string,
    options: { trashed?: boolean } = {},
  ): FileVersion[] {
    const statement = options.trashed ? this.#sql.listAll : this.#sql.listKept;
    return statement.all(clientId, fileName).map(toVersion);
  }

  byNumber(
    clientId: Uint8Array,
    fileName: string,
    number: number,
  ): FileVersion | undefined {
    const action = "Cannot read version";
    const row = get(action, this.#sql.byNumber, clientId, fileName, number);
    return row && toVersion(row);
  }

  at(
    clientId: Uint8Array,
    fileName: string,
    at: string,
  ): FileVersion | undefined {
    const row = get(
      "Cannot read version",
      this.#sql.at,
      clientId,
      fileName,
      at,
    );
    return row && toVersion(row);
  }

  names(
    clientId: Uint8Array,
    query: Omit<PageQuery<never>, "sort" | "dir"> = {},
  ): Page<VersionedName> {
    const { page, pageSize, offset } = pageOf(query);
    const total = count(
      this.#db,
      `SELECT count(DISTINCT FileName) AS n FROM versions
       WHERE ClientID = ? AND ${KEPT}`,
      [clientId],
    );
    const rows = this.#sql.names.all(
      clientId,
      pageSize,
      offset,
    ).map((row) => {
      const fileName = String(row.FileName);
      const latest = this.#sql.latest.get(clientId, fileName)!;
      return { fileName, versions: Number(row.n), latest: toVersion(latest) };
    });
    return { rows, total, page, pageSize };
  }

  page(
    clientId: Uint8Array,
    fileName: string,
    query: Omit<PageQuery<never>, "sort" | "dir"> = {},
  ): Page<FileVersion> {
    const where = new Conditions();
    where.add("v.ClientID = ?", clientId);
    where.add("v.FileName = ?", fileName);
    const page = pageRows<Row>(this.#db, {
      from: "versions v",
      key: "v.VersionID AS vid",
      where,
      order: "ORDER BY v.Number DESC",
      query,
      select: `SELECT ${VERSION_COLUMNS}
        FROM page CROSS JOIN versions v ON v.VersionID = page.vid`,
    });
    return { ...page, rows: page.rows.map(toVersion) };
  }

  latest(clientId: Uint8Array, fileName: string): FileVersion | undefined {
    const action = "Cannot read version";
    const row = get(action, this.#sql.latest, clientId, fileName);
    return row && toVersion(row);
  }

  count(clientId: Uint8Array, fileName: string): number {
    const action = "Cannot count versions";
    return Number(get(action, this.#sql.countOfName, clientId, fileName)?.n);
  }

  distinctBytes(clientId: Uint8Array): number {
    const action = "Cannot read distinct bytes";
    return Number(get(action, this.#sql.distinctBytes, clientId)?.bytes);
  }

  setPinned(id: number, pinned: boolean): boolean {
    const action = "Cannot pin version";
    return Number(
      run(action, this.#sql.setPinned, pinned ? 1 : 0, id).changes,
    ) >
      0;
  }

  usage(clientId: Uint8Array): ClientUsage {
    const row = get("Cannot read usage", this.#sql.usage, clientId);
    return { versions: Number(row?.versions), bytes: Number(row?.bytes) };
  }

  totals(): { versions: number; logicalBytes: number; storedBytes: number } {
    const action = "Cannot read history totals";
    const kept = get(action, this.#sql.keptTotals);
    const stored = get(action, this.#sql.storedBytes);
    return {
      versions: Number(kept?.versions),
      logicalBytes: Number(kept?.bytes),
      storedBytes: Number(stored?.bytes),
    };
  }
}
