/**
 * A client's files as they were at a point in time, as one zip streamed
 * while it is read: the newest kept version of each name stored at or
 * before that time, read from the database a page of names at a time and
 * from the content store one file at a time, so memory stays bounded
 * whatever the client holds (the zip's central directory, about 100 bytes
 * per file, is all that grows).
 *
 * The zip (`zip_writer.ts`) stores entries uncompressed with UTF-8 names,
 * CRC-32 computed while streaming, and ZIP64 records past 4 GiB. Store,
 * not deflate: a backup holds anything, often already compressed (photos,
 * archives, video), where deflate costs a core for nothing; the archive
 * is a download over a local network, not a format for keeping.
 * @module
 */
import { createBlake3 } from "../crypto/blake3.ts";
import { checkFileName } from "../storage/file_name.ts";
import type { FileVersion, VersionStorage } from "../storage/types.ts";
import { type ZipEntry, zipStream } from "./zip_writer.ts";

/** Names read per database page. */
const PAGE_SIZE = 200;
/**
 * Bytes per read of stored content: `FsFile.readable`'s 64 KiB chunks
 * make zipping 4 GiB take 11 s here, 1 MiB reads 2.2 s (same run).
 */
const READ_BYTES = 1024 * 1024;

/**
 * The entry that lists versions the zip could not include. Client file
 * names are single path components, so no client file can be this path.
 */
export const MISSING_LIST = ".cyberbackup/missing.txt";

/** What a snapshot reads: the history and the content store. */
export interface SnapshotSource {
  versions: Pick<VersionStorage, "names" | "at">;
  /** Opens the plaintext of a content address (`ContentStore.openObject`). */
  openObject(blake3: string): Promise<Deno.FsFile>;
}

/** -1, 0 or 1 as `a` sorts before, with or after `b` by code point (SQLite's BINARY order of UTF-8). */
export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/**
 * The newest kept version of each of a client's names stored at or before
 * `at` (ISO-8601), by name, reading the names a page at a time. A name
 * whose versions all came later is left out. A name added while this runs
 * shifts later pages; names at or before the last one yielded are skipped,
 * so none is listed twice.
 */
export async function* versionsAt(
  versions: SnapshotSource["versions"],
  clientId: Uint8Array,
  at: string,
): AsyncGenerator<FileVersion> {
  let last: string | undefined;
  for (let page = 1;; page++) {
    const { rows } = versions.names(clientId, { page, pageSize: PAGE_SIZE });
    for (const { fileName } of rows) {
      if (last !== undefined && compareCodePoints(fileName, last) <= 0) {
        continue;
      }
      last = fileName;
      const version = versions.at(clientId, fileName, at);
      if (version) yield version;
    }
    if (rows.length < PAGE_SIZE) return;
  }
}

/**
 * Passes `version`'s content through, erroring the stream at its end when
 * its length or BLAKE3 is not the recorded one: a damaged object then
 * breaks the download (no central directory follows) instead of arriving
 * with a CRC computed over the damage.
 */
function verified(
  version: FileVersion,
): TransformStream<Uint8Array, Uint8Array> {
  const hash = createBlake3();
  let length = 0;
  return new TransformStream({
    transform(chunk, controller) {
      hash.update(chunk);
      length += chunk.length;
      controller.enqueue(chunk);
    },
    flush() {
      const blake3 = hash.digest();
      if (length !== version.size || blake3 !== version.blake3) {
        throw new Error(
          `Stored content of ${version.fileName} version ${version.number} is damaged: ${length} bytes with BLAKE3 ${blake3}, expected ${version.size} bytes with ${version.blake3}`,
        );
      }
    },
  });
}

/** The content of `file` in chunks of up to READ_BYTES; closes it at the end or when cancelled. */
function contentOf(file: Deno.FsFile): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      const buffer = new Uint8Array(READ_BYTES);
      const n = await file.read(buffer);
      if (n === null) {
        file.close();
        controller.close();
      } else controller.enqueue(buffer.subarray(0, n));
    },
    cancel() {
      file.close();
    },
  }, { highWaterMark: 0 });
}

/** How a snapshot went, filled in as the zip is read. */
export interface SnapshotReport {
  files: number;
  bytes: number;
  /** Names left out, with why. */
  missing: string[];
}

async function* entries(
  source: SnapshotSource,
  clientId: Uint8Array,
  at: string,
  report: SnapshotReport,
): AsyncGenerator<ZipEntry> {
  for await (const version of versionsAt(source.versions, clientId, at)) {
    const { fileName } = version;
    // Checked at upload; checked again since the name becomes a path
    // wherever the zip is unpacked.
    const refused = checkFileName(fileName);
    if (refused) {
      report.missing.push(`${JSON.stringify(fileName)}: ${refused}`);
      continue;
    }
    let file: Deno.FsFile;
    try {
      file = await source.openObject(version.blake3);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      report.missing.push(`${fileName}: stored content is missing`);
      continue;
    }
    try {
      yield {
        name: fileName,
        modified: new Date(version.storedAt),
        size: version.size,
        content: contentOf(file).pipeThrough(verified(version)),
      };
      report.files++;
      report.bytes += version.size;
    } finally {
      // Read to its end (which closes it) unless the download stopped.
      try {
        file.close();
      } catch {
        // Already closed at the end of its stream.
      }
    }
  }
  if (report.missing.length > 0) {
    const list = new TextEncoder().encode(
      `Left out of this archive:\n${report.missing.join("\n")}\n`,
    );
    yield {
      name: MISSING_LIST,
      modified: new Date(at),
      size: list.length,
      content: list,
    };
  }
}

/**
 * The zip of a client's files as they were at `at` (ISO-8601), streamed.
 * `report` is filled in as the stream is read; a cancelled read (the
 * download was stopped) closes the open file.
 */
export function snapshotZip(
  source: SnapshotSource,
  clientId: Uint8Array,
  at: string,
  report: SnapshotReport = { files: 0, bytes: 0, missing: [] },
): ReadableStream<Uint8Array> {
  return zipStream(entries(source, clientId, at, report));
}
