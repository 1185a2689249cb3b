/**
 * `received_files/.objects/<2 hex>/<blake3 hex>`: each distinct plaintext
 * once, named by its BLAKE3 (docs/history.md). The latest copy of a name,
 * `received_files/<client hex>/<name>`, is a hard link to its object, so
 * identical content costs its bytes once however many names and clients
 * hold it. `.objects` can never be a client folder (those are 32 hex).
 *
 * The linking calls are synchronous so that they can run inside the
 * database transaction (BEGIN IMMEDIATE) that records them: an upload's
 * commit and a garbage collection step then never interleave.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { toHex } from "../../shared/encoding.ts";
import { checkContentAddress } from "./content_address.ts";
import { checkFolderSync, openRegularFile } from "./pending_file.ts";

/** The folder of the objects, inside received_files. */
export const OBJECTS_FOLDER = ".objects";
/** Where temporary links are made before they are renamed into place. */
const TEMP_FOLDER = ".tmp";

/** Creates `path` (mode 0700) when missing; throws unless it is then a real directory. */
function ensureFolderSync(path: string): void {
  try {
    Deno.mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  checkFolderSync(path);
}

/** What `ContentStore.place()` did with an upload's content. */
export interface Placement {
  /** The content was already stored: the upload now links to its object. */
  deduplicated: boolean;
  /** Where the upload's own bytes wait to be discarded, when deduplicated. */
  aside?: string;
}

/** The content-addressed objects under one received_files folder. */
export class ContentStore {
  /** Absolute path of `received_files`. */
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Absolute path of the object of `blake3`; RangeError for anything but 64 hex. */
  objectPath(blake3: string): string {
    checkContentAddress(blake3);
    return join(this.root, OBJECTS_FOLDER, blake3.slice(0, 2), blake3);
  }

  /** True when the object of `blake3` is a regular file. */
  has(blake3: string): boolean {
    try {
      return Deno.lstatSync(this.objectPath(blake3)).isFile;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }

  /**
   * Makes the file at `path` (an upload's temporary file, or a stored copy
   * being upgraded) the object of `blake3`, as a second hard link: the file
   * stays at `path` too. An object already there (an orphan a crash left,
   * the same content by construction) is replaced atomically.
   */
  adopt(path: string, blake3: string): string {
    const target = this.objectPath(blake3);
    ensureFolderSync(join(this.root, OBJECTS_FOLDER));
    ensureFolderSync(dirname(target));
    this.#linkOver(path, target);
    return target;
  }

  /**
   * Puts an upload's content (the file at `path`, whose BLAKE3 is
   * `blake3`) in the store. When the content is `known` (it has a
   * `contents` row) and its object is there, `path` becomes a link to that
   * object: deduplication. The upload's own bytes are then set aside in
   * .tmp, for the caller to `discard()` once its transaction is over:
   * freeing a large file takes a while, never to be spent holding the
   * database's write lock. Otherwise the upload becomes the object (which
   * heals a known object gone missing). Either way `path` then holds the
   * object's file, ready to be renamed under its name.
   */
  place(path: string, blake3: string, known: boolean): Placement {
    if (!known || !this.has(blake3)) {
      this.adopt(path, blake3);
      return { deduplicated: false };
    }
    const aside = this.#tempName("drop");
    Deno.linkSync(path, aside);
    try {
      this.linkTo(blake3, path);
    } catch (error) {
      removeIfThere(aside);
      throw error;
    }
    return { deduplicated: true, aside };
  }

  /** Deletes what `place()` set aside; a failure leaves it for the next start to empty .tmp. */
  async discard(placement: Placement): Promise<void> {
    if (!placement.aside) return;
    try {
      await Deno.remove(placement.aside);
    } catch {
      // removeLeftovers() at the next start deletes it.
    }
  }

  /**
   * Makes `path` a hard link to the object of `blake3`, atomically: a link
   * under a temporary name, renamed over `path` (whatever was there is
   * replaced, a symbolic link included, never written through). The
   * folder of `path` must be a real directory. NotFound when the object
   * is missing.
   */
  linkTo(blake3: string, path: string): void {
    checkFolderSync(dirname(path));
    this.#linkOver(this.objectPath(blake3), path);
  }

  /**
   * Opens the object of `blake3` for reading. A symbolic link as the
   * object or as either folder is never followed; NotFound for those and
   * for a missing object.
   */
  async openObject(blake3: string): Promise<Deno.FsFile> {
    const path = this.objectPath(blake3);
    return await openRegularFile(
      path,
      [dirname(dirname(path)), dirname(path)],
      `object ${blake3}`,
    );
  }

  /** A fresh name in .tmp (created when missing), on the store's file system. */
  #tempName(prefix: string): string {
    const temps = join(this.root, TEMP_FOLDER);
    ensureFolderSync(temps);
    const random = toHex(crypto.getRandomValues(new Uint8Array(8)));
    return join(temps, `${prefix}-${random}`);
  }

  /** Hard-links `from` at a temporary name, then renames that over `to`. */
  #linkOver(from: string, to: string): void {
    const temp = this.#tempName("link");
    Deno.linkSync(from, temp);
    try {
      Deno.renameSync(temp, to);
    } finally {
      // Still there when the rename failed, or when `to` was already a link
      // to the same file (rename then does nothing, by POSIX).
      removeIfThere(temp);
    }
  }
}

/** Deletes `path`; a missing one is fine, a failure leaves it in .tmp for the next start. */
function removeIfThere(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Nothing there (the usual case), or left for the next start to empty.
  }
}
