/**
 * One server per data directory: an exclusive OS lock (flock) on
 * `cyberbackup.lock`, taken before anything else in the directory is
 * touched, so a second start can neither run recovery over a live
 * server's uploads nor share its database. The OS drops the lock when the
 * process dies, however it dies.
 * @module
 */
import { join } from "node:path";

/** Name of the lock file in the data directory. */
export const LOCK_FILE = "cyberbackup.lock";

/** A held lock; `release` gives it back (exit does too). */
export interface DataLock {
  /** The directory this lock holds. */
  readonly dataDir: string;
  release(): void;
}

/**
 * Creates the data directory if needed (0700), locks its lock file without
 * waiting and writes this process's id into it. Throws, naming the holder's
 * pid, when another process holds the lock.
 */
export async function lockDataDir(dataDir: string): Promise<DataLock> {
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  const file = await Deno.open(path, {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  try {
    if (!await file.tryLock(true)) {
      const holder = (await Deno.readTextFile(path)).trim() || "unknown";
      throw new Error(
        `Cannot use data directory ${dataDir}: another CyberBackup server (pid ${holder}) is running on it; stop it first or choose another --data-dir`,
      );
    }
    // Truncate only under the lock: the holder's pid must stay readable.
    await file.truncate(0);
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  } catch (error) {
    file.close();
    throw error;
  }
  return {
    dataDir,
    release() {
      try {
        file.close();
      } catch { /* already released */ }
    },
  };
}
