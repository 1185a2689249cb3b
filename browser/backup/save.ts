/**
 * Where a browser restore writes: straight to a file the user picks, where
 * the browser has the File System Access API (Chromium: written to a
 * temporary file that replaces the target only on `close()`, so a failed
 * restore leaves nothing under the name), else to memory and then a
 * download, up to {@link MEMORY_LIMIT}.
 * @module
 */
import { RestoreError, type RestoreSink } from "./restore.ts";

/** Largest file restored through memory: the whole file is held as a Blob. */
export const MEMORY_LIMIT = 1024 ** 3;

interface WritableFile {
  write(data: Uint8Array<ArrayBuffer>): Promise<void>;
  close(): Promise<void>;
  abort(reason?: string): Promise<void>;
}

interface SavePicker {
  showSaveFilePicker(options: { suggestedName: string }): Promise<{
    createWritable(): Promise<WritableFile>;
  }>;
}

/** True when this browser can stream a restore to a file on disk. */
export function canStreamToDisk(): boolean {
  return typeof (globalThis as Partial<SavePicker>).showSaveFilePicker ===
    "function";
}

/**
 * Asks the user where to save `name` and opens it for writing. Call it
 * first thing in a click handler: the picker needs the click's activation.
 * Undefined when the user cancels.
 */
export async function pickFileSink(
  name: string,
): Promise<RestoreSink | undefined> {
  let handle;
  try {
    handle = await (globalThis as unknown as SavePicker).showSaveFilePicker({
      suggestedName: name,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") return undefined;
    throw error;
  }
  const file = await handle.createWritable();
  return {
    write: (chunk) => file.write(chunk),
    close: () => file.close(),
    abort: (reason) => file.abort(reason),
  };
}

/**
 * A sink that keeps the content in memory and offers it as a download of
 * `name` once verified; refuses a file over {@link MEMORY_LIMIT}.
 */
export function memorySink(name: string, size: number): RestoreSink {
  if (size > MEMORY_LIMIT) {
    throw new RestoreError(
      `${name} is ${size} bytes: this browser cannot write to disk as it downloads, and holds at most ${MEMORY_LIMIT} bytes in memory. Restore it in Chrome or Edge, or with cyberbackup restore`,
    );
  }
  let parts: Uint8Array<ArrayBuffer>[] = [];
  return {
    write(chunk) {
      parts.push(chunk);
      return Promise.resolve();
    },
    close() {
      const url = URL.createObjectURL(new Blob(parts));
      parts = [];
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return Promise.resolve();
    },
    abort() {
      parts = [];
      return Promise.resolve();
    },
  };
}
