/**
 * `cyberbackup backup`: back up every file named in `transfer.info`,
 * registering or reconnecting first, retrying as the protocol says.
 * @module
 */
import { join } from "node:path";
import { type BackupOutput, createOutput, formatBytes } from "./progress.ts";
import {
  BadResponseError,
  ConnectionLostError,
  type ConnectionOptions,
  ServerError,
} from "./protocol_client.ts";
import { FatalError, type KeyField, SessionKeeper } from "./session.ts";
import { InfoFileError, loadTransferInfo } from "./transfer_info.ts";
import { FileError, inspectFile, uploadFile } from "./upload.ts";
import { INTERRUPTED_STATUS } from "./cli_shared.ts";

/** Options of `runBackup`. */
export interface BackupOptions {
  /** Folder holding `transfer.info` and `me.info`. */
  dir: string;
  /** OAEP hash the server encrypts session keys with (default sha1). */
  oaepHash?: "sha1" | "sha256";
  /** Size of the key field sent when registering (default 160). */
  keyField?: KeyField;
  /** Retries of a message after 1607 or a dropped connection (default 3). */
  retries?: number;
  /** Pause before retry n is n times this (default 500 ms). */
  retryDelayMs?: number;
  out?: BackupOutput;
  connection?: ConnectionOptions;
  /** Aborted when the user interrupts the backup (Ctrl-C in the CLI). */
  signal?: AbortSignal;
}

/** True for the failures the protocol says to retry. */
function isRetryable(error: unknown): error is Error {
  return error instanceof ServerError || error instanceof ConnectionLostError;
}

/**
 * Runs `action` and retries it up to `retries` times on 1607 or a dropped
 * connection, then gives up with a FatalError naming `what`.
 */
async function withRetries<T>(
  what: string,
  action: () => Promise<T>,
  options: {
    retries: number;
    delayMs: number;
    out: BackupOutput;
    signal?: AbortSignal;
  },
): Promise<T> {
  for (let failures = 0;;) {
    try {
      return await action();
    } catch (error) {
      if (!isRetryable(error) || options.signal?.aborted) throw error;
      failures++;
      if (failures > options.retries) {
        throw new FatalError(
          `Cannot ${what}: ${error.message} (gave up after ${options.retries} retries)`,
          { cause: error },
        );
      }
      options.out.warn(
        `${error.message}; retry ${failures} of ${options.retries}`,
      );
      await pause(options.delayMs * failures, options.signal);
    }
  }
}

/** Waits `ms`, or less when `signal` aborts meanwhile. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * What to tell the user after an interruption. The server stores a file
 * only on 1029: before it the file is certainly not backed up; between 1029
 * and its 1604 nobody can know, so the message says how to find out.
 */
function describeInterruption(
  current: { path: string; confirming: boolean } | undefined,
): string | undefined {
  if (!current) return undefined;
  if (current.confirming) {
    return `Interrupted while the server was confirming ${current.path}: it may already have stored it. Run the backup again to be sure; that is safe, it uploads every file again and replaces the stored copy`;
  }
  return `Interrupted: ${current.path} was not backed up this time (the server drops an unconfirmed upload and keeps any earlier copy)`;
}

/**
 * Backs up the files of `dir/transfer.info`. Returns the exit status: 0
 * only when every file was verified by the server, 1 otherwise, with a
 * one-line error on the output; 130 when `signal` aborted it, saying
 * whether the file in flight may be on the server.
 */
export async function runBackup(options: BackupOptions): Promise<number> {
  const out = options.out ?? createOutput();
  const { signal } = options;
  const retry = {
    retries: options.retries ?? 3,
    delayMs: options.retryDelayMs ?? 500,
    out,
    signal,
  };
  let keeper: SessionKeeper | undefined;
  let fileCount = 0;
  let verified = 0;
  /** The file being uploaded, and whether its 1029 is out. */
  let current: { path: string; confirming: boolean } | undefined;
  // Closing the connection makes whatever waits on it fail at once.
  const interrupt = () => keeper?.close();
  signal?.addEventListener("abort", interrupt, { once: true });
  try {
    const transfer = await loadTransferInfo(join(options.dir, "transfer.info"));
    fileCount = transfer.files.length;
    const failed: string[] = [];
    const pending: string[] = [];
    for (const path of transfer.files) {
      try {
        await inspectFile(path);
        pending.push(path);
      } catch (error) {
        if (!(error instanceof FileError)) throw error;
        out.error(error.message);
        failed.push(path);
      }
    }
    if (pending.length === 0) {
      out.error("Backup failed: no file to back up");
      return 1;
    }
    const session = new SessionKeeper({
      host: transfer.host,
      port: transfer.port,
      name: transfer.name,
      meInfoPath: join(options.dir, "me.info"),
      oaepHash: options.oaepHash ?? "sha1",
      keyField: options.keyField,
      out,
      connection: options.connection,
    });
    keeper = session;
    if (signal?.aborted) interrupt();
    await withRetries(
      `open a session with ${session.address}`,
      () => session.open(),
      retry,
    );
    for (const path of pending) {
      current = { path, confirming: false };
      try {
        const result = await withRetries(`back up ${path}`, async () => {
          const { client, clientId, aesKey } = await session.open();
          current = { path, confirming: false };
          return await uploadFile(path, {
            client,
            clientId,
            aesKey,
            onProgress: (progress) => out.progress(progress),
            onMismatch: ({ attempt, difference }) =>
              out.warn(
                `Server's copy of ${path} does not match (attempt ${attempt}): ${difference}`,
              ),
            onConfirm: () => current = { path, confirming: true },
          });
        }, retry);
        current = undefined;
        if (result.verified) {
          verified++;
          out.info(
            `Verified ${result.fileName} (${
              formatBytes(result.size)
            }, cksum ${result.checksum})`,
          );
        } else {
          out.error(`Cannot back up ${path}: ${result.reason}`);
          failed.push(path);
        }
      } catch (error) {
        if (!(error instanceof FileError) || signal?.aborted) throw error;
        current = undefined;
        out.error(error.message);
        failed.push(path);
      }
    }
    if (failed.length > 0) {
      out.error(
        `Backup failed: ${failed.length} of ${transfer.files.length} files not verified`,
      );
      return 1;
    }
    out.info(
      `Backup complete: ${verified} ${
        verified === 1 ? "file" : "files"
      } verified`,
    );
    return 0;
  } catch (error) {
    if (signal?.aborted) {
      const detail = describeInterruption(current);
      if (detail) out.error(detail);
      out.error(
        `Backup interrupted: ${verified} of ${fileCount} files verified`,
      );
      return INTERRUPTED_STATUS;
    }
    const known = error instanceof FatalError ||
      error instanceof InfoFileError ||
      error instanceof BadResponseError || isRetryable(error);
    const message = (error as Error).message;
    out.error(
      `Backup failed: ${known ? message : `unexpected error: ${message}`}`,
    );
    return 1;
  } finally {
    signal?.removeEventListener("abort", interrupt);
    keeper?.close();
  }
}
