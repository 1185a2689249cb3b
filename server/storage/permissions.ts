/**
 * Keeps the data directory private to the server's user: the database holds
 * the admin password hash and client keys, the logs name clients and
 * addresses, and received_files holds the backups in plaintext.
 * @module
 */
import { join } from "node:path";

/** What lives in the data directory, with the mode each must have. */
const PRIVATE_PATHS: ReadonlyArray<readonly [string, number]> = [
  ["defensive.db", 0o600],
  ["defensive.db-wal", 0o600],
  ["defensive.db-shm", 0o600],
  ["logs", 0o700],
  ["received_files", 0o700],
];

/**
 * Sets the process umask to 077, so that whatever the server creates from
 * now on (SQLite's files, logs, uploads, in every thread) is 0600 / 0700,
 * and restricts the data directory and what an earlier run left in it.
 * Where the platform has no modes (Windows) it does nothing.
 */
export async function secureDataDir(dataDir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  Deno.umask(0o077);
  await Deno.chmod(dataDir, 0o700);
  for (const [name, mode] of PRIVATE_PATHS) {
    try {
      await Deno.chmod(join(dataDir, name), mode);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}
