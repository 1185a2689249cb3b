/**
 * Upgrade in place of contents addressed by SHA-256 (written before schema
 * 12): at start, each address migration 12 queued in `contents_sha256` is
 * read once from its object, checked against its SHA-256 and hashed with
 * BLAKE3; then one transaction moves its `contents` row and versions to
 * the BLAKE3 address, dequeues it and links the object under its new name.
 * The old name, a second hard link to the same file, goes after the commit.
 * The latest-name files (`received_files/<client hex>/<name>`) are links
 * to that same file and stay as they are.
 *
 * A kill at any point loses nothing. Before the commit the rows still say
 * SHA-256 and the old name is there: the next start takes the row up again
 * (a new name already linked by the killed attempt is simply replaced).
 * After it, only the old name may be left: an object name without a
 * `contents` row, which garbage collection removes as an orphan.
 *
 * A missing or unreadable object, or one whose bytes no longer match their
 * SHA-256, is logged and left as it is: its rows keep the SHA-256 address
 * (still a valid object name, so what can be read is read as before) and
 * stay queued, to be tried again at the next start. A queued address whose
 * content garbage collection has meanwhile removed is dropped.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { createBlake3 } from "../crypto/blake3.ts";
import type { Database } from "./database.ts";
import type { FileStore } from "./file_store.ts";
import { readThrough } from "./pending_file.ts";

const logger = getLogger(["cyberbackup", "storage"]);

/** Addresses read per query: memory stays flat however many contents there are. */
const BATCH = 100;
/** A large store takes a while to hash: say how far it got every so often. */
const PROGRESS_EVERY = 1000;

/** A content still waiting under its SHA-256 address. */
export interface QueuedContent {
  sha256: string;
  /** False when its `contents` row is gone (garbage collected since). */
  stored: boolean;
}

/** The database side of re-addressing (`contents_sha256`, `contents`, `versions`). */
export interface ReaddressStorage {
  /** How many contents still wait under their SHA-256 address. */
  pending(): number;
  /** Up to `limit` queued contents after the address `after`, in order. */
  queuedAfter(after: string, limit: number): QueuedContent[];
  /** Dequeues an address without touching `contents` or `versions`. */
  forget(sha256: string): void;
  /**
   * Moves the `contents` row of `sha256` and every version pointing at it
   * to `blake3`, merging into the row of `blake3` when there is one (then
   * returns true), and dequeues `sha256`. Atomic; inside a transaction it
   * becomes part of it.
   */
  move(sha256: string, blake3: string): boolean;
}

/** What re-addressing needs of the database. */
export type ReaddressDb = Pick<Database, "transaction" | "readdress">;

/** What one run did. */
export interface ReaddressReport {
  /** Contents now addressed by BLAKE3. */
  readdressed: number;
  /** Of those, contents already stored under their BLAKE3 address: merged. */
  deduplicated: number;
  /** Contents whose object is missing, unreadable or damaged: left queued (logged). */
  skipped: number;
  bytes: number;
}

/** SHA-256 and BLAKE3 of an object, read once. */
async function digest(
  file: Deno.FsFile,
): Promise<{ sha256: string; blake3: string; size: number }> {
  const sha256 = createHash("sha256");
  const blake3 = createBlake3();
  const size = await readThrough(file, (chunk) => {
    sha256.update(chunk);
    blake3.update(chunk);
  });
  return { sha256: sha256.digest("hex"), blake3: blake3.digest(), size };
}

/**
 * Re-addresses every content still queued under SHA-256; call at start,
 * before any upload or maintenance begins (it renames objects).
 */
export async function readdressContents(
  db: ReaddressDb,
  store: FileStore,
): Promise<ReaddressReport> {
  const report: ReaddressReport = {
    readdressed: 0,
    deduplicated: 0,
    skipped: 0,
    bytes: 0,
  };
  const total = db.readdress.pending();
  if (total === 0) return report;
  logger.info("Re-addressing {total} contents stored by SHA-256", { total });
  for (let after = "";;) {
    const rows = db.readdress.queuedAfter(after, BATCH);
    if (rows.length === 0) break;
    for (const row of rows) {
      const sha256 = after = row.sha256;
      if (!row.stored) {
        db.readdress.forget(sha256);
        continue;
      }
      // Left queued, its rows as they were; the next start tries again.
      const skip = (message: string) => {
        report.skipped++;
        logger.warn(
          "Cannot re-address content {sha256}: {message}; left under its SHA-256 address",
          { sha256, message },
        );
      };
      let content: Awaited<ReturnType<typeof digest>>;
      try {
        content = await digest(await store.objects.openObject(sha256));
      } catch (error) {
        skip((error as Error).message);
        continue;
      }
      // A new address would vouch for damaged bytes as if they were intact.
      if (content.sha256 !== sha256) {
        skip(`its object's bytes have SHA-256 ${content.sha256}`);
        continue;
      }
      const oldPath = store.objects.objectPath(sha256);
      let known: boolean;
      try {
        known = db.transaction(() => {
          const merged = db.readdress.move(sha256, content.blake3);
          // Linked last: a failed link rolls the rows back with it.
          if (!merged || !store.objects.has(content.blake3)) {
            const newPath = store.objects.adopt(oldPath, content.blake3);
            // Durable before the commit and before the old name goes: GC
            // takes that name for an orphan, and it may be the only one a
            // power cut leaves.
            using folder = Deno.openSync(dirname(newPath));
            folder.syncSync();
          }
          return merged;
        });
      } catch (error) {
        skip((error as Error).message);
        continue;
      }
      try {
        await Deno.remove(oldPath);
      } catch (error) {
        logger.warn(
          "Cannot remove the SHA-256 name of content {blake3}: {message}; garbage collection will",
          { blake3: content.blake3, message: (error as Error).message },
        );
      }
      report.readdressed++;
      report.bytes += content.size;
      if (known) report.deduplicated++;
      if (report.readdressed % PROGRESS_EVERY === 0) {
        logger.info(
          "Re-addressing contents by BLAKE3: {readdressed} of {total}",
          {
            readdressed: report.readdressed,
            total,
          },
        );
      }
    }
  }
  logger.info(
    "Re-addressed contents by BLAKE3: {readdressed} re-addressed ({bytes} bytes, {deduplicated} already stored), {skipped} skipped",
    { ...report },
  );
  return report;
}
