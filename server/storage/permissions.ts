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
 * Returns what could not be restricted (an immutable file, another owner),
 * for the caller to log once logging is set up: the directory's own mode
 * still guards its contents. Where the platform has no modes (Windows) it
 * does nothing.
 */
export async function secureDataDir(dataDir: string): Promise<string[]> {
  if (Deno.build.os === "windows") return [];
  Deno.umask(0o077);
  const problems: string[] = [];
  const paths: ReadonlyArray<readonly [string, number]> = [
    [dataDir, 0o700],
    ...PRIVATE_PATHS.map(([name, mode]) =>
      [join(dataDir, name), mode] as const
    ),
  ];
  for (const [path, mode] of paths) {
    try {
      await Deno.chmod(path, mode);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      problems.push(
        `Cannot make ${path} private (mode ${mode.toString(8)}): ${
          (error as Error).message
        }`,
      );
    }
  }
  return problems;
}
