/**
 * `cyberbackup restore`: list the client's backed-up versions, or fetch the
 * chosen versions into a folder, each written under a temporary name and
 * renamed only once its checksum and BLAKE3 match. An interrupted fetch
 * keeps its temporary file (named by the content's BLAKE3) and the next
 * attempt resumes from its end; the final name never holds a partial file.
 * @module
 */
import { join, resolve } from "node:path";
import { TagMismatchError } from "../server/crypto/aes_gcm.ts";
import { Cksum } from "../server/crypto/cksum.ts";
import { createBlake3 } from "../server/crypto/blake3.ts";
import { writeAll } from "../server/io/exact_reader.ts";
import { StreamBrokenError } from "../server/crypto/sealed_stream.ts";
import type { VersionRecord } from "../server/protocol/restore_codec.ts";
import { checkFileName } from "../server/storage/file_name.ts";
import { readMeInfo } from "./me_info.ts";
import { type BackupOutput, createOutput, formatBytes } from "./progress.ts";
import {
  BadResponseError,
  ConnectionLostError,
  type ConnectionOptions,
  ServerError,
} from "./protocol_client.ts";
import {
  REKEY_HINT,
  RestoreRefusedError,
  RestoreSession,
} from "./restore_session.ts";
import { selectVersions, type VersionChoice } from "./restore_select.ts";
import { FatalError } from "./session.ts";
import { InfoFileError, loadTransferInfo } from "./transfer_info.ts";
import { INTERRUPTED_STATUS } from "./cli_shared.ts";

/** Options of `runRestore`. */
export interface RestoreOptions {
  /** Folder holding `transfer.info` and `me.info`. */
  dir: string;
  /** Print the versions instead of restoring. */
  list?: boolean;
  /** Names to restore; empty: every name. */
  files?: string[];
  choice?: VersionChoice;
  /** Folder to write to (default the current folder). */
  to?: string;
  /** Replace existing local files (default: never). */
  overwrite?: boolean;
  oaepHash?: "sha1" | "sha256";
  /** Reconnects per file after 1607 or a dropped connection (default 3). */
  retries?: number;
  /** Pause before retry n is n times this (default 500 ms). */
  retryDelayMs?: number;
  out?: BackupOutput;
  connection?: ConnectionOptions;
  signal?: AbortSignal;
}

/** The temporary file of a fetch: per content, so any name of it may resume it. */
export function partialPath(folder: string, blake3: string): string {
  return join(folder, `.cyberbackup-${blake3}.part`);
}

function isRetryable(error: unknown): error is Error {
  return error instanceof ServerError || error instanceof ConnectionLostError;
}

/** Size of `path`, or 0 when it is missing. */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Keeps one proven session across files and retries. */
class SessionHolder {
  #session: RestoreSession | undefined;
  readonly #open: () => Promise<RestoreSession>;

  constructor(open: () => Promise<RestoreSession>) {
    this.#open = open;
  }

  async get(): Promise<RestoreSession> {
    if (this.#session && !this.#session.client.closed) return this.#session;
    this.#session = await this.#open();
    return this.#session;
  }

  close(): void {
    this.#session?.close();
  }
}

/** Prints the versions, one name per block. */
function printList(records: VersionRecord[], out: BackupOutput): void {
  if (records.length === 0) {
    out.info("No backups on the server for this client");
    return;
  }
  let name: string | undefined;
  for (const r of records) {
    if (r.fileName !== name) {
      name = r.fileName;
      out.info(name);
    }
    out.info(
      `  version ${r.number}  ${r.storedAt}  ${
        formatBytes(r.size)
      } (${r.size} bytes)  cksum ${r.checksum}  blake3 ${r.blake3}${
        r.pinned ? "  pinned" : ""
      }`,
    );
  }
}

/**
 * Fetches `version` into `folder`: resumes its partial file, verifies the
 * whole file, then gives it its name. Throws on failure; a checksum
 * mismatch deletes the partial file, anything else keeps it for a retry.
 */
async function restoreVersion(
  session: RestoreSession,
  version: VersionRecord,
  options: {
    folder: string;
    overwrite: boolean;
    attempt: number;
    out: BackupOutput;
  },
): Promise<void> {
  const { folder, out } = options;
  const target = join(folder, version.fileName);
  const partial = partialPath(folder, version.blake3);
  let offset = await sizeOf(partial);
  if (offset > version.size) {
    await Deno.remove(partial);
    offset = 0;
  }
  const file = await Deno.open(partial, {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  const sum = new Cksum();
  const hash = createBlake3();
  let writing: Promise<void> = Promise.resolve();
  try {
    // The kept part counts towards both checksums: hash it from disk.
    const buffer = new Uint8Array(1024 * 1024);
    for (let done = 0; done < offset;) {
      const n = await file.read(
        buffer.subarray(0, Math.min(buffer.length, offset - done)),
      );
      if (n === null) break;
      sum.update(buffer.subarray(0, n));
      hash.update(buffer.subarray(0, n));
      done += n;
    }
    await file.truncate(offset);
    await file.seek(offset, Deno.SeekMode.Start);
    if (offset > 0) {
      out.info(
        `Resuming ${version.fileName} at byte ${offset} of ${version.size}`,
      );
    }
    let written = offset;
    const progress = () =>
      out.progress({
        fileName: version.fileName,
        sent: written,
        total: version.size,
        attempt: options.attempt,
      });
    await session.fetch(
      { fileName: version.fileName, version: version.number, offset },
      {
        onMeta: (meta) => {
          if (meta.blake3 !== version.blake3 || meta.size !== version.size) {
            throw new BadResponseError(
              `Cannot restore ${version.fileName}: version ${version.number} is not what the list said`,
            );
          }
          progress();
        },
        onData: async (bytes) => {
          sum.update(bytes);
          hash.update(bytes);
          // The previous piece's write ends first; this one runs while
          // the next frame arrives (its buffer stays valid meanwhile).
          await writing;
          writing = writeAll(file, bytes).then(() => {
            written += bytes.length;
            progress();
          });
          writing.catch(() => {});
        },
      },
    );
    await writing;
    await file.sync();
  } finally {
    await writing.catch(() => {});
    file.close();
  }
  const checksum = sum.digest();
  const blake3 = hash.digest();
  if (checksum !== version.checksum || blake3 !== version.blake3) {
    await Deno.remove(partial).catch(() => {});
    throw new FatalError(
      `Cannot restore ${version.fileName}: the restored file does not match (cksum ${checksum}, expected ${version.checksum}); nothing was written under its name`,
    );
  }
  if (options.overwrite) {
    await Deno.rename(partial, target);
  } else {
    try {
      // A link fails on an existing name: never replaces a file that
      // appeared meanwhile.
      await Deno.link(partial, target);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new FatalError(
          `Cannot restore ${version.fileName}: ${target} exists (use --overwrite to replace it); the verified copy is kept as ${partial}`,
        );
      }
      throw error;
    }
    await Deno.remove(partial);
  }
  out.info(
    `Restored ${version.fileName} version ${version.number} (${
      formatBytes(version.size)
    }, cksum ${checksum}) to ${target}`,
  );
}

/**
 * Runs a restore (or a listing) from `options.dir`. Returns the exit
 * status: 0 when every requested file was restored and verified (or the
 * list printed), 1 otherwise, 130 when interrupted.
 */
export async function runRestore(options: RestoreOptions): Promise<number> {
  const out = options.out ?? createOutput({ verb: "restore" });
  const { signal } = options;
  const retries = options.retries ?? 3;
  const delayMs = options.retryDelayMs ?? 500;
  let holder: SessionHolder | undefined;
  const interrupt = () => holder?.close();
  signal?.addEventListener("abort", interrupt, { once: true });
  try {
    const dir = options.dir;
    const transfer = await loadTransferInfo(join(dir, "transfer.info"), {
      requireFiles: false,
    });
    const mePath = join(dir, "me.info");
    const me = await readMeInfo(mePath);
    if (!me) {
      out.error(
        `Cannot restore: ${mePath} is missing. It holds the private key that alone can open this client's backups, so without it nothing can be restored; ${REKEY_HINT}`,
      );
      return 1;
    }
    holder = new SessionHolder(() =>
      RestoreSession.open({
        host: transfer.host,
        port: transfer.port,
        me,
        oaepHash: options.oaepHash ?? "sha1",
        connection: options.connection,
      })
    );
    const withRetries = async <T>(what: string, action: () => Promise<T>) => {
      for (let failures = 0;;) {
        try {
          return await action();
        } catch (error) {
          if (!isRetryable(error) || signal?.aborted) throw error;
          holder!.close();
          if (++failures > retries) {
            throw new FatalError(
              `Cannot ${what}: ${error.message} (gave up after ${retries} retries)`,
              { cause: error },
            );
          }
          out.warn(`${error.message}; retry ${failures} of ${retries}`);
          await new Promise((done) => setTimeout(done, delayMs * failures));
        }
      }
    };
    const records = await withRetries(
      "list the backups",
      async () => await (await holder!.get()).list(),
    );
    if (options.list) {
      printList(records, out);
      return 0;
    }
    const folder = resolve(options.to ?? Deno.cwd());
    const selections = selectVersions(records, {
      files: options.files ?? [],
      choice: options.choice ?? { kind: "newest" },
    });
    if (selections.length === 0) {
      out.error("Restore failed: the server holds no backups for this client");
      return 1;
    }
    let failed = 0;
    for (const selection of selections) {
      if (signal?.aborted) break;
      if ("problem" in selection) {
        out.error(`Cannot restore: ${selection.problem}`);
        failed++;
        continue;
      }
      const { version } = selection;
      const nameProblem = checkFileName(version.fileName);
      if (nameProblem) {
        out.error(`Cannot restore "${version.fileName}": ${nameProblem}`);
        failed++;
        continue;
      }
      const target = join(folder, version.fileName);
      if (!options.overwrite && await exists(target)) {
        out.error(
          `Cannot restore ${version.fileName}: ${target} exists (use --overwrite to replace it)`,
        );
        failed++;
        continue;
      }
      let attempt = 0;
      try {
        await withRetries(`restore ${version.fileName}`, async () => {
          attempt++;
          await restoreVersion(await holder!.get(), version, {
            folder,
            overwrite: options.overwrite ?? false,
            attempt,
            out,
          });
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        out.error(describeFailure(version.fileName, error));
        failed++;
        // A broken stream may leave the connection mid-frame: start afresh.
        holder.close();
      }
    }
    if (signal?.aborted) throw new Error("interrupted");
    if (failed > 0) {
      out.error(
        `Restore failed: ${failed} of ${selections.length} files not restored`,
      );
      return 1;
    }
    out.info(
      `Restore complete: ${selections.length} ${
        selections.length === 1 ? "file" : "files"
      } restored and verified`,
    );
    return 0;
  } catch (error) {
    if (signal?.aborted) {
      out.error(
        "Restore interrupted: no partial file was left under a final name; run it again to resume",
      );
      return INTERRUPTED_STATUS;
    }
    const known = error instanceof FatalError ||
      error instanceof InfoFileError || error instanceof BadResponseError ||
      isRetryable(error);
    const message = (error as Error).message;
    out.error(
      `Restore failed: ${known ? message : `unexpected error: ${message}`}`,
    );
    return 1;
  } finally {
    signal?.removeEventListener("abort", interrupt);
    holder?.close();
  }
}

/** One line that says why a file was not restored. */
function describeFailure(fileName: string, error: unknown): string {
  if (error instanceof TagMismatchError) {
    return `Cannot restore ${fileName}: a packet failed authentication (altered in transit, or not from the server holding this client's key); nothing was written under its name`;
  }
  if (error instanceof StreamBrokenError) {
    return `Cannot restore ${fileName}: ${error.message}`;
  }
  if (error instanceof RestoreRefusedError) {
    return `Cannot restore ${fileName}: ${error.message}`;
  }
  return (error as Error).message.startsWith("Cannot")
    ? (error as Error).message
    : `Cannot restore ${fileName}: ${(error as Error).message}`;
}
