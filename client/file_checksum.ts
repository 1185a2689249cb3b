/**
 * The `cksum` of a file being uploaded, computed by a second reader of the
 * file so that it runs beside encryption instead of after it: on another
 * core when the file is large enough to repay a worker's start-up, in this
 * thread otherwise. Both readers see the same bytes unless the file changes
 * during the upload; then the checksums differ and the upload is retried,
 * which is what a changing file deserves.
 * @module
 */
import { Cksum } from "../server/crypto/cksum.ts";

/** Below this size a worker costs more than it saves. */
export const WORKER_THRESHOLD_BYTES = 8 * 1024 * 1024;

const READ_CHUNK = 1024 * 1024;
const WORKER_URL = new URL("./file_checksum_worker.ts", import.meta.url);

/** The checksum of the bytes read and how many there were. */
export interface FileChecksum {
  checksum: number;
  size: number;
}

/** What the worker posts back: its result or why it failed. */
export type ChecksumReply =
  | { ok: true; result: FileChecksum }
  | { ok: false; message: string };

/** A checksum under way; `cancel()` stops it when the upload is abandoned. */
export interface ChecksumJob {
  readonly result: Promise<FileChecksum>;
  cancel(): void;
}

/** Reads `path` to its end and checksums it, in the calling thread. */
export async function checksumFileHere(path: string): Promise<FileChecksum> {
  using file = await Deno.open(path, { read: true });
  const cksum = new Cksum();
  const buffer = new Uint8Array(READ_CHUNK);
  for (let n; (n = await file.read(buffer)) !== null;) {
    cksum.update(buffer.subarray(0, n));
  }
  return { checksum: cksum.digest(), size: cksum.length };
}

/**
 * Starts checksumming `path`, expected to be `size` bytes, in a worker when
 * it is large. The result rejects when the file cannot be read.
 */
export function startChecksum(path: string, size: number): ChecksumJob {
  if (size < WORKER_THRESHOLD_BYTES) {
    const result = checksumFileHere(path);
    result.catch(() => {}); // Awaited by the caller unless it gives up first.
    return { result, cancel() {} };
  }
  const worker = new Worker(WORKER_URL, { type: "module" });
  const result = new Promise<FileChecksum>((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent<ChecksumReply>) =>
      data.ok ? resolve(data.result) : reject(new Error(data.message));
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(`Cannot checksum ${path}: ${event.message}`));
    };
  }).finally(() => worker.terminate());
  result.catch(() => {}); // Awaited by the caller unless it cancels first.
  worker.postMessage(path);
  return { result, cancel: () => worker.terminate() };
}
