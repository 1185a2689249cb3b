/**
 * `received_files/<client id hex>/<file name>`: where verified uploads live.
 * An upload is written to `received_files/.tmp/` and renamed over its final
 * name only once verified, so a failed, aborted or crashed upload never
 * replaces or damages the last verified copy. `.tmp` can never be a client
 * folder (those are 32 hex digits), so a temporary file can never be taken
 * for a stored one, and `removeLeftovers()` can empty it without guessing.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { toHex } from "../../shared/encoding.ts";
import { ContentStore } from "./content_store.ts";
import { checkFileName } from "./file_name.ts";
import {
  checkFolder,
  failure,
  openRegularFile,
  type PendingFile,
  PendingUpload,
} from "./pending_file.ts";

export type { PendingFile, PendingState } from "./pending_file.ts";

/** The folder of unfinished uploads, inside the store's root. */
const TEMP_FOLDER = ".tmp";

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

/** Files under `<root>/<client id hex>/`, written atomically. */
export class FileStore {
  /** Absolute path of `received_files`. */
  readonly root: string;
  /** The content-addressed objects the stored files are hard links to. */
  readonly objects: ContentStore;

  constructor(root: string) {
    this.root = resolve(root);
    this.objects = new ContentStore(this.root);
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

  /**
   * Opens a stored file for reading (the portal's download). Only a regular
   * file directly in the client's real folder opens: a symbolic link at the
   * name or as the folder is never followed, so a link planted inside
   * received_files cannot serve a file from elsewhere. Throws NotFound for
   * those (and for a missing file), RangeError for a name `pathOf` refuses.
   */
  async openStored(
    clientId: Uint8Array,
    fileName: string,
  ): Promise<Deno.FsFile> {
    const path = this.pathOf(clientId, fileName);
    return await openRegularFile(
      path,
      [dirname(path)],
      `stored file "${fileName}"`,
    );
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
