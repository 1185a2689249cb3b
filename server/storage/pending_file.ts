/**
 * One upload on its way into the store: written to a temporary file, made
 * durable, then renamed over its final name (see file_store.ts).
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { dirname } from "node:path";

const logger = getLogger(["cyberbackup", "storage"]);

/**
 * Where `publish()` keeps the copy it replaced (a hard link) until
 * `finalize()`; recovery after a crash looks for it there.
 */
export function previousPathOf(tempPath: string): string {
  return `${tempPath}.previous`;
}

/**
 * Writes smaller than this are gathered into a buffer of this size; two of
 * them, so that one fills while the other is written (bench/blake3.ts).
 */
const BUFFER_BYTES = 512 * 1024;

/**
 * Where a pending upload stands: "open" takes writes; "prepared" is durable
 * and closed and waits for `publish()`; "published" is in place but can
 * still be taken back until `finalize()`; "failed" (a write failed) can only
 * be aborted; "committed" and "aborted" are final.
 */
export type PendingState =
  | "open"
  | "prepared"
  | "published"
  | "failed"
  | "committed"
  | "aborted";

/**
 * An upload being written; nothing is visible under its final name until
 * `publish()`. Storing it with a database record takes four steps so that
 * the record and the file change together: `prepare()`, then inside the
 * transaction `publish()`, then `unpublish()` if the transaction fails or
 * `finalize()` once it committed. `commit()` does it all without a record.
 */
export interface PendingFile {
  /** Where the bytes go until the upload is committed. */
  readonly tempPath: string;
  /** Where `publish()` puts them. */
  readonly finalPath: string;
  /** Bytes accepted by `write()` so far. */
  readonly bytesWritten: number;
  readonly state: PendingState;
  /**
   * Appends; small chunks are buffered and written while the caller goes
   * on, large ones written straight through. Await each call before the
   * next; a failed write throws at the next call or at prepare().
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Flushes, syncs and closes the temporary file; a failure deletes it.
   * Calling it again once prepared does nothing.
   */
  prepare(): Promise<void>;
  /**
   * Renames the prepared file over its final name, keeping the previous
   * copy aside (a hard link in the temporary folder) so that `unpublish()`
   * can put it back. Synchronous, so it can run inside a database
   * transaction; a failure deletes the upload and leaves the previous copy.
   */
  publish(): string;
  /**
   * Undoes `publish()`: the previous copy returns, the upload is prepared
   * again. When the upload cannot move back to its temporary name, the
   * previous copy still returns over it (a first copy is removed) and the
   * upload is aborted; that, like any failure, throws.
   */
  unpublish(): void;
  /** Drops the previous copy for good and makes the rename durable (folder sync failures are only logged). */
  finalize(): Promise<void>;
  /** `prepare()`, `publish()` and `finalize()`: the upload becomes the stored copy. */
  commit(): Promise<string>;
  /** Closes and deletes the temporary file; safe to call twice, and a no-op once published. */
  abort(): Promise<void>;
}

/** An Error naming the failed action, keeping the original as `cause`. */
export function failure(action: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`${action}: ${reason}`, { cause: error });
}

/** Throws unless `path` is a directory and not a symbolic link. */
export async function checkFolder(path: string): Promise<void> {
  folderOnly(path, await Deno.lstat(path));
}

/**
 * Opens `path` for reading only when it is a regular file and each of
 * `folders` is a real directory: a symbolic link there, or a swap for one
 * between the check and the open, is never followed. Throws NotFound, its
 * message starting with `what`, for those and for a missing file.
 */
export async function openRegularFile(
  path: string,
  folders: string[],
  what: string,
): Promise<Deno.FsFile> {
  const refuse = (why: string) =>
    new Deno.errors.NotFound(`Cannot open ${what}: ${why}`);
  for (const folder of folders) {
    try {
      await checkFolder(folder);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw error;
      throw refuse((error as Error).message);
    }
  }
  const seen = await Deno.lstat(path);
  if (!seen.isFile) throw refuse("it is not a regular file");
  const file = await Deno.open(path, { read: true });
  const opened = await file.stat();
  if (opened.ino !== seen.ino || opened.dev !== seen.dev) {
    file.close();
    throw refuse("it changed while being opened");
  }
  return file;
}

/**
 * Streams `file` once through `update`, chunk by chunk, closing it whatever
 * happens; resolves with the bytes read.
 */
export async function readThrough(
  file: Deno.FsFile,
  update: (chunk: Uint8Array) => void,
): Promise<number> {
  let size = 0;
  try {
    for await (const chunk of file.readable) {
      update(chunk);
      size += chunk.length;
    }
  } finally {
    try {
      file.close();
    } catch {
      // Already closed by the stream's end.
    }
  }
  return size;
}

/** Throws unless `path` is a directory and not a symbolic link; synchronous, for use inside a transaction. */
export function checkFolderSync(path: string): void {
  folderOnly(path, Deno.lstatSync(path));
}

function folderOnly(path: string, info: Deno.FileInfo): void {
  if (info.isSymlink) throw new Error(`${path} is a symbolic link`);
  if (!info.isDirectory) throw new Error(`${path} is not a directory`);
}

/** Makes a rename in `path` durable (POSIX only: Windows cannot open folders). */
async function syncFolder(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const folder = await Deno.open(path, { read: true });
  try {
    await folder.sync();
  } finally {
    folder.close();
  }
}

/** Writes every byte of `data`; `FsFile.write` may write fewer. */
async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    offset += await file.write(data.subarray(offset));
  }
}

/** The one implementation of PendingFile. */
export class PendingUpload implements PendingFile {
  readonly tempPath: string;
  readonly finalPath: string;
  #file: Deno.FsFile | undefined;
  /** The second only once the first is written: small uploads need one. */
  #buffers = [new Uint8Array(BUFFER_BYTES)];
  #current = 0;
  #buffered = 0;
  /** The write of the other buffer, while Deno's blocking pool runs it. */
  #writing: Promise<void> | undefined;
  #bytes = 0;
  #state: PendingState = "open";
  #hasPrevious = false;

  constructor(
    file: Deno.FsFile,
    paths: { tempPath: string; finalPath: string },
  ) {
    this.#file = file;
    this.tempPath = paths.tempPath;
    this.finalPath = paths.finalPath;
  }

  get bytesWritten(): number {
    return this.#bytes;
  }

  get state(): PendingState {
    return this.#state;
  }

  async write(chunk: Uint8Array): Promise<void> {
    const file = this.#openFile("Cannot write upload");
    try {
      if (this.#buffered + chunk.length > BUFFER_BYTES) {
        await this.#flush(file);
      }
      if (chunk.length >= BUFFER_BYTES) {
        await this.#drain();
        await writeAll(file, chunk);
      } else {
        this.#buffers[this.#current].set(chunk, this.#buffered);
        this.#buffered += chunk.length;
      }
    } catch (error) {
      this.#state = "failed";
      throw failure("Cannot write upload", error);
    }
    this.#bytes += chunk.length;
  }

  async prepare(): Promise<void> {
    if (this.#state === "prepared") return;
    const file = this.#openFile("Cannot store upload");
    try {
      await this.#flush(file);
      await this.#drain();
      await file.syncData();
      file.close();
      this.#file = undefined;
    } catch (error) {
      await this.abort();
      throw failure("Cannot write upload", error);
    }
    this.#state = "prepared";
  }

  publish(): string {
    if (this.#state !== "prepared") {
      throw new Error(
        `Cannot store upload: it is ${this.#state}, not prepared`,
      );
    }
    const folder = dirname(this.finalPath);
    let kept = false;
    try {
      checkFolderSync(folder);
      kept = this.#keepPrevious();
      // rename() replaces a symlink at the final name; it never writes through it.
      Deno.renameSync(this.tempPath, this.finalPath);
    } catch (error) {
      if (kept) this.#remove(this.#previousPath);
      this.#state = "aborted";
      this.#remove(this.tempPath);
      throw failure("Cannot store upload", error);
    }
    // When the final name already was a link to this very file (the same
    // content stored again under its name), rename() does nothing (POSIX)
    // and the temporary name stays: it goes now.
    this.#remove(this.tempPath);
    this.#hasPrevious = kept;
    this.#state = "published";
    return this.finalPath;
  }

  unpublish(): void {
    if (this.#state !== "published") {
      throw new Error(`Cannot take back upload: it is ${this.#state}`);
    }
    try {
      Deno.renameSync(this.finalPath, this.tempPath);
    } catch (error) {
      this.#dropPublished(error);
    }
    try {
      if (this.#hasPrevious) {
        Deno.renameSync(this.#previousPath, this.finalPath);
      }
    } catch (error) {
      this.#state = "failed";
      throw failure("Cannot take back upload", error);
    }
    this.#hasPrevious = false;
    this.#state = "prepared";
  }

  /**
   * The upload could not move back (`cause`): the name must still return to
   * what the record says, or nothing would ever put the previous copy back
   * (the failed transfer is closed, and the next start deletes the copy
   * from the temporary folder). So it goes over the upload, which is lost.
   */
  #dropPublished(cause: unknown): never {
    try {
      if (this.#hasPrevious) {
        Deno.renameSync(this.#previousPath, this.finalPath);
      } else {
        Deno.removeSync(this.finalPath);
      }
    } catch (error) {
      this.#state = "failed";
      throw failure("Cannot take back upload", error);
    }
    this.#hasPrevious = false;
    this.#state = "aborted";
    throw failure(
      "Cannot take back upload (the previous state is back, the upload is dropped)",
      cause,
    );
  }

  async finalize(): Promise<void> {
    if (this.#state !== "published") {
      throw new Error(`Cannot finalize upload: it is ${this.#state}`);
    }
    this.#state = "committed";
    if (this.#hasPrevious) this.#remove(this.#previousPath);
    this.#hasPrevious = false;
    const folder = dirname(this.finalPath);
    try {
      await syncFolder(folder);
    } catch (error) {
      // The file is in place; only its durability across a power cut is unsure.
      logger.warn("Cannot sync folder {folder}: {error}", { folder, error });
    }
  }

  async commit(): Promise<string> {
    await this.prepare();
    const path = this.publish();
    await this.finalize();
    return path;
  }

  /** Where the previous copy waits while published; in the temporary folder. */
  get #previousPath(): string {
    return previousPathOf(this.tempPath);
  }

  /** Hard-links the current final file aside; false when there is none. */
  #keepPrevious(): boolean {
    try {
      Deno.linkSync(this.finalPath, this.#previousPath);
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }

  async abort(): Promise<void> {
    if (["committed", "aborted", "published"].includes(this.#state)) return;
    this.#state = "aborted";
    this.#buffered = 0;
    await this.#drain().catch(() => {});
    try {
      this.#file?.close();
    } catch {
      // Already closed by a failed write; the temporary file still goes.
    }
    this.#file = undefined;
    try {
      await Deno.remove(this.tempPath);
    } catch (error) {
      this.#logRemoveFailure(this.tempPath, error);
    }
  }

  #remove(path: string): void {
    try {
      Deno.removeSync(path);
    } catch (error) {
      this.#logRemoveFailure(path, error);
    }
  }

  #logRemoveFailure(path: string, error: unknown): void {
    if (error instanceof Deno.errors.NotFound) return;
    logger.warn("Cannot delete temporary upload {path}: {error}", {
      path,
      error,
    });
  }

  /** The open file, or an Error when the upload is already finished. */
  #openFile(action: string): Deno.FsFile {
    if (this.#state !== "open" || !this.#file) {
      const reason = this.#state === "failed"
        ? "an earlier write failed"
        : `it is already ${this.#state}`;
      throw new Error(`${action}: ${reason}`);
    }
    return this.#file;
  }

  /**
   * Hands the filled buffer to a write that runs while the caller goes on
   * (receiving, decrypting and hashing the next bytes), once the previous
   * one is done; its failure surfaces at the next write or at prepare().
   */
  async #flush(file: Deno.FsFile): Promise<void> {
    await this.#drain();
    if (this.#buffered === 0) return;
    const data = this.#buffers[this.#current].subarray(0, this.#buffered);
    this.#current ^= 1;
    this.#buffers[this.#current] ??= new Uint8Array(BUFFER_BYTES);
    this.#buffered = 0;
    this.#writing = writeAll(file, data);
    // Handled by the #drain() that every later step awaits first.
    this.#writing.catch(() => {});
  }

  /** Waits for the write in flight; throws its error. */
  async #drain(): Promise<void> {
    const writing = this.#writing;
    this.#writing = undefined;
    await writing;
  }
}
