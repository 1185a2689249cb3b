/**
 * `received_files/<client id hex>/<file name>`: where verified uploads live.
 * An upload is written to `received_files/.tmp/` and renamed over its final
 * name only once verified, so a failed, aborted or crashed upload never
 * replaces or damages the last verified copy. `.tmp` can never be a client
 * folder (those are 32 hex digits), so a temporary file can never be taken
 * for a stored one, and `removeLeftovers()` can empty it without guessing.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { dirname, join, resolve } from "node:path";
import { checkFileName } from "./file_name.ts";

const logger = getLogger(["cyberbackup", "storage"]);

/** The folder of unfinished uploads, inside the store's root. */
const TEMP_FOLDER = ".tmp";

/** Writes smaller than this are gathered into one buffer of this size. */
const BUFFER_BYTES = 256 * 1024;

/** An upload being written; nothing is visible under its final name until `commit()`. */
export interface PendingFile {
  /** Where the bytes go until the upload is committed. */
  readonly tempPath: string;
  /** Bytes accepted by `write()` so far. */
  readonly bytesWritten: number;
  /** Appends; small chunks are buffered, large ones written straight through. Await each call before the next. */
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the upload durable and atomically the stored copy; returns the final path. */
  commit(): Promise<string>;
  /** Closes and deletes the temporary file; safe to call twice and after commit (no-op then). */
  abort(): Promise<void>;
}

/** An Error naming the failed action, keeping the original as `cause`. */
function failure(action: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`${action}: ${reason}`, { cause: error });
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The client's folder name; a malformed id must never become a path. */
function folderName(clientId: Uint8Array): string {
  if (clientId.length !== 16) {
    throw new RangeError(
      `Cannot locate client folder: id has ${clientId.length} bytes instead of 16`,
    );
  }
  return toHex(clientId);
}

/**
 * Creates `path` (mode 0700) when missing and makes sure it is a real
 * directory: a symlink planted there must never lead a write outside root.
 */
async function ensureFolder(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  await checkFolder(path);
}

/** Throws unless `path` is a directory and not a symbolic link. */
async function checkFolder(path: string): Promise<void> {
  const info = await Deno.lstat(path);
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

/** Files under `<root>/<client id hex>/`, written atomically. */
export class FileStore {
  /** Absolute path of `received_files`. */
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /**
   * Deletes what crashed uploads left in the temporary folder; returns how
   * many entries. Call at start-up, before any upload begins: it would also
   * delete the files of uploads in flight.
   */
  async removeLeftovers(): Promise<number> {
    const folder = join(this.root, TEMP_FOLDER);
    try {
      const info = await Deno.lstat(folder);
      if (!info.isDirectory) {
        // Not ours to follow (a symlink or a stray file): remove the entry itself.
        await Deno.remove(folder);
        return 1;
      }
      let count = 0;
      for await (const entry of Deno.readDir(folder)) {
        await Deno.remove(join(folder, entry.name), {
          recursive: entry.isDirectory,
        });
        count++;
      }
      return count;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return 0;
      throw failure("Cannot remove leftover uploads", error);
    }
  }

  /**
   * Final path of a stored file. Throws RangeError for a name that
   * `checkFileName` refuses or that would resolve outside the client folder.
   */
  pathOf(clientId: Uint8Array, fileName: string): string {
    const reason = checkFileName(fileName);
    if (reason) {
      throw new RangeError(`Cannot use file name "${fileName}": ${reason}`);
    }
    const folder = join(this.root, folderName(clientId));
    const path = resolve(folder, fileName);
    if (dirname(path) !== folder) {
      throw new RangeError(
        `Cannot use file name "${fileName}": it leaves the client folder`,
      );
    }
    return path;
  }

  /** Starts writing a new upload under a fresh temporary name. */
  async begin(clientId: Uint8Array, fileName: string): Promise<PendingFile> {
    const finalPath = this.pathOf(clientId, fileName);
    const random = toHex(crypto.getRandomValues(new Uint8Array(8)));
    const temps = join(this.root, TEMP_FOLDER);
    const tempPath = join(temps, `${folderName(clientId)}-${random}.part`);
    try {
      await Deno.mkdir(this.root, { recursive: true, mode: 0o700 });
      await ensureFolder(dirname(finalPath));
      await ensureFolder(temps);
      // createNew: never opens an existing file or follows a planted symlink.
      const file = await Deno.open(tempPath, {
        write: true,
        createNew: true,
        mode: 0o600,
      });
      return new PendingUpload(file, { tempPath, finalPath });
    } catch (error) {
      throw failure("Cannot start upload", error);
    }
  }

  /** Deletes a stored file; no error if it is missing. */
  async remove(clientId: Uint8Array, fileName: string): Promise<void> {
    const path = this.pathOf(clientId, fileName);
    try {
      await checkFolder(dirname(path));
      await Deno.remove(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw failure("Cannot delete file", error);
    }
  }

  /** Removes the client's whole folder; a symlink in its place is unlinked, not followed. */
  async removeClient(clientId: Uint8Array): Promise<void> {
    const folder = join(this.root, folderName(clientId));
    try {
      const info = await Deno.lstat(folder);
      await Deno.remove(folder, { recursive: info.isDirectory });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw failure("Cannot delete client folder", error);
    }
  }
}

/** The one implementation of PendingFile. */
class PendingUpload implements PendingFile {
  readonly tempPath: string;
  #finalPath: string;
  #file: Deno.FsFile | undefined;
  #buffer = new Uint8Array(BUFFER_BYTES);
  #buffered = 0;
  #bytes = 0;
  /** "failed" after a write error: the file may have lost bytes, so it can only be aborted. */
  #state: "open" | "failed" | "committed" | "aborted" = "open";

  constructor(
    file: Deno.FsFile,
    paths: { tempPath: string; finalPath: string },
  ) {
    this.#file = file;
    this.tempPath = paths.tempPath;
    this.#finalPath = paths.finalPath;
  }

  get bytesWritten(): number {
    return this.#bytes;
  }

  async write(chunk: Uint8Array): Promise<void> {
    const file = this.#openFile("Cannot write upload");
    try {
      if (this.#buffered + chunk.length > BUFFER_BYTES) {
        await this.#flush(file);
      }
      if (chunk.length >= BUFFER_BYTES) {
        await writeAll(file, chunk);
      } else {
        this.#buffer.set(chunk, this.#buffered);
        this.#buffered += chunk.length;
      }
    } catch (error) {
      this.#state = "failed";
      throw failure("Cannot write upload", error);
    }
    this.#bytes += chunk.length;
  }

  async commit(): Promise<string> {
    const file = this.#openFile("Cannot store upload");
    try {
      await this.#flush(file);
      await file.syncData();
    } catch (error) {
      await this.abort();
      throw failure("Cannot write upload", error);
    }
    const folder = dirname(this.#finalPath);
    try {
      file.close();
      this.#file = undefined;
      await checkFolder(folder);
      // rename() replaces a symlink at the final name; it never writes through it.
      await Deno.rename(this.tempPath, this.#finalPath);
    } catch (error) {
      await this.abort();
      throw failure("Cannot store upload", error);
    }
    this.#state = "committed";
    try {
      await syncFolder(folder);
    } catch (error) {
      // The file is in place; only its durability across a power cut is unsure.
      logger.warn("Cannot sync folder {folder}: {error}", { folder, error });
    }
    return this.#finalPath;
  }

  async abort(): Promise<void> {
    if (this.#state === "committed" || this.#state === "aborted") return;
    this.#state = "aborted";
    this.#buffered = 0;
    try {
      this.#file?.close();
    } catch {
      // Already closed by a failed write; the temporary file still goes.
    }
    this.#file = undefined;
    try {
      await Deno.remove(this.tempPath);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        logger.warn("Cannot delete temporary upload {path}: {error}", {
          path: this.tempPath,
          error,
        });
      }
    }
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

  async #flush(file: Deno.FsFile): Promise<void> {
    if (this.#buffered === 0) return;
    const size = this.#buffered;
    this.#buffered = 0;
    await writeAll(file, this.#buffer.subarray(0, size));
  }
}
