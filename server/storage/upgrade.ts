/**
 * Upgrade in place of a data directory written before backup history: at
 * start, each verified files row without a version becomes version 1 of
 * its name. Its stored file is read once (BLAKE3 and cksum), linked into
 * `.objects` and recorded, its path and files row kept as they are. A
 * crash midway loses nothing: a file is recorded only in the transaction
 * that links it, and the next start takes up the rows still unversioned.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { createBlake3 } from "../crypto/blake3.ts";
import { Cksum } from "../crypto/cksum.ts";
import { toHex } from "../../shared/encoding.ts";
import type { Database } from "./database.ts";
import type { FileStore } from "./file_store.ts";
import { readThrough } from "./pending_file.ts";

const logger = getLogger(["cyberbackup", "storage"]);

/** Rows read per query: memory stays flat however many files there are. */
const BATCH = 100;
/** A large store takes a while to hash: say how far it got every so often. */
const PROGRESS_EVERY = 1000;

/** What one upgrade did. */
export interface UpgradeReport {
  /** Files that became version 1 of their name. */
  versioned: number;
  /** Of those, files whose content was already stored: now one object. */
  deduplicated: number;
  /** Rows whose file is missing or unusable, left unversioned (logged). */
  skipped: number;
  bytes: number;
}

/** BLAKE3, cksum and size of a stored file, read once. */
async function digest(
  file: Deno.FsFile,
): Promise<{ blake3: string; checksum: number; size: number }> {
  const hash = createBlake3();
  const cksum = new Cksum();
  const size = await readThrough(file, (chunk) => {
    hash.update(chunk);
    cksum.update(chunk);
  });
  return { blake3: hash.digest(), checksum: cksum.digest(), size };
}

/**
 * Versions every stored file that has no version yet; call at start,
 * before any upload begins (it relinks stored files).
 */
export async function versionStoredFiles(
  db: Database,
  store: FileStore,
  now: string,
): Promise<UpgradeReport> {
  const report: UpgradeReport = {
    versioned: 0,
    deduplicated: 0,
    skipped: 0,
    bytes: 0,
  };
  for (let after = 0;;) {
    const rows = db.versions.unversioned(after, BATCH);
    if (rows.length === 0) break;
    for (const row of rows) {
      after = row.rowid;
      const where = { client: toHex(row.clientId), file: row.fileName };
      // Left unversioned, as it was; the next start tries again.
      const skip = (error: unknown) => {
        report.skipped++;
        logger.warn("Cannot version stored {file} of {client}: {message}", {
          ...where,
          message: (error as Error).message,
        });
      };
      let path: string;
      let content: Awaited<ReturnType<typeof digest>>;
      try {
        path = store.pathOf(row.clientId, row.fileName);
        content = await digest(
          await store.openStored(row.clientId, row.fileName),
        );
      } catch (error) {
        skip(error);
        continue;
      }
      const recorded = db.files.of(row.clientId, row.fileName);
      if (
        recorded?.checksum != null && recorded.checksum !== content.checksum
      ) {
        logger.warn(
          "Stored {file} of {client} no longer matches its recorded cksum; versioned as it is",
          where,
        );
      }
      let placement;
      try {
        placement = db.transaction(() => {
          const known = db.versions.hasContent(content.blake3);
          const added = db.versions.addFirst(
            {
              clientId: row.clientId,
              fileName: row.fileName,
              size: content.size,
              checksum: content.checksum,
              blake3: content.blake3,
              transport: "tcp",
            },
            row.storedAt ?? now,
            now,
          );
          if (!added) return undefined;
          return store.objects.place(path, content.blake3, known);
        });
      } catch (error) {
        skip(error);
        continue;
      }
      if (placement === undefined) continue;
      await store.objects.discard(placement);
      report.versioned++;
      report.bytes += content.size;
      if (placement.deduplicated) report.deduplicated++;
      if (report.versioned % PROGRESS_EVERY === 0) {
        logger.info("Upgrading stored files to history: {versioned} so far", {
          versioned: report.versioned,
        });
      }
    }
  }
  if (report.versioned + report.skipped > 0) {
    logger.info(
      "Upgraded stored files to history: {versioned} versioned ({bytes} bytes, {deduplicated} already stored), {skipped} skipped",
      { ...report },
    );
  }
  return report;
}
