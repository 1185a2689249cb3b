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
  options: { retries: number; delayMs: number; out: BackupOutput },
): Promise<T> {
  for (let failures = 0;;) {
    try {
      return await action();
    } catch (error) {
      if (!isRetryable(error)) throw error;
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
      await new Promise((resolve) =>
        setTimeout(resolve, options.delayMs * failures)
      );
    }
  }
}

/**
 * Backs up the files of `dir/transfer.info`. Returns the exit status: 0
 * only when every file was verified by the server, 1 otherwise, with a
 * one-line error on the output.
 */
export async function runBackup(options: BackupOptions): Promise<number> {
  const out = options.out ?? createOutput();
  const retry = {
    retries: options.retries ?? 3,
    delayMs: options.retryDelayMs ?? 500,
    out,
  };
  let keeper: SessionKeeper | undefined;
  try {
    const transfer = await loadTransferInfo(join(options.dir, "transfer.info"));
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
    await withRetries(
      `open a session with ${session.address}`,
      () => session.open(),
      retry,
    );
    let verified = 0;
    for (const path of pending) {
      try {
        const result = await withRetries(`back up ${path}`, async () => {
          const { client, clientId, aesKey } = await session.open();
          return await uploadFile(path, {
            client,
            clientId,
            aesKey,
            onProgress: (progress) => out.progress(progress),
            onMismatch: ({ attempt, difference }) =>
              out.warn(
                `Server's copy of ${path} does not match (attempt ${attempt}): ${difference}`,
              ),
          });
        }, retry);
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
        if (!(error instanceof FileError)) throw error;
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
    const known = error instanceof FatalError ||
      error instanceof InfoFileError ||
      error instanceof BadResponseError || isRetryable(error);
    const message = (error as Error).message;
    out.error(
      `Backup failed: ${known ? message : `unexpected error: ${message}`}`,
    );
    return 1;
  } finally {
    keeper?.close();
  }
}
