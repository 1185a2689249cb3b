/**
 * Where a pass's frames come from: `fileFrames()` (packet_frames.ts) in
 * this thread for small files, in a worker (packet_worker.ts) for large
 * ones, so that reading and encryption run beside the socket writes. The
 * worker's start-up (tens of milliseconds) is repaid within a few MiB.
 * @module
 */
import {
  FileError,
  fileFrames,
  FRAME_COUNT,
  FramePool,
  frameSize,
  type FrameSpec,
  type PlainDigest,
} from "./packet_frames.ts";

/** Files at least this large are framed in a worker. */
export const WORKER_THRESHOLD_BYTES = 16 * 1024 * 1024;

const WORKER_URL = new URL("./packet_worker.ts", import.meta.url);

/** Messages to the packet worker. */
export type ToPacketWorker =
  | { type: "start"; spec: FrameSpec }
  /** A frame's buffer back, once it is on the wire. */
  | { type: "release"; buffer: ArrayBuffer };

/** Messages from the packet worker. */
export type FromPacketWorker =
  | { type: "frame"; buffer: ArrayBuffer; length: number }
  | { type: "done"; digest: PlainDigest | undefined }
  | { type: "failed"; message: string; fileError: boolean };

/**
 * A pass's frames, in order. Each frame must be released once sent (or
 * dropped); at most FRAME_COUNT are out at once. `next()` ends with the
 * plaintext's digest and rejects with FileError when the file cannot be
 * read or changes size.
 */
export interface PacketSource {
  next(): Promise<IteratorResult<Uint8Array, PlainDigest | undefined>>;
  release(frame: Uint8Array): void;
  /** Stops producing and frees the file; resolves once it is closed. */
  close(): Promise<void>;
}

/** The frames of one pass over `spec.path`, from wherever suits its size. */
export function openPacketSource(spec: FrameSpec): PacketSource {
  return spec.plan.origFileSize < WORKER_THRESHOLD_BYTES
    ? localSource(spec)
    : workerSource(spec);
}

function localSource(spec: FrameSpec): PacketSource {
  const pool = new FramePool(FRAME_COUNT, frameSize(spec.plan));
  const frames = fileFrames(spec, pool);
  return {
    next: () => frames.next(),
    release: (frame) => pool.release(frame),
    async close() {
      pool.close();
      await frames.return(undefined).catch(() => {});
    },
  };
}

function workerSource(spec: FrameSpec): PacketSource {
  const worker = new Worker(WORKER_URL, { type: "module" });
  const inbox: FromPacketWorker[] = [];
  let wake = () => {};
  let crashed: Error | undefined;
  let closed = false;
  worker.onmessage = ({ data }: MessageEvent<FromPacketWorker>) => {
    inbox.push(data);
    wake();
  };
  worker.onerror = (event) => {
    event.preventDefault();
    crashed = new Error(`Cannot read ${spec.path}: ${event.message}`);
    wake();
  };
  const post = (message: ToPacketWorker, transfer: Transferable[] = []) =>
    worker.postMessage(message, transfer);
  post({ type: "start", spec });
  return {
    async next() {
      while (inbox.length === 0 && !crashed && !closed) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      // Ends as the in-thread source does once closed: no digest.
      if (closed) return { done: true, value: undefined };
      const message = inbox.shift();
      if (!message) throw crashed;
      switch (message.type) {
        case "frame":
          return {
            done: false,
            value: new Uint8Array(message.buffer, 0, message.length),
          };
        case "done":
          return { done: true, value: message.digest };
        case "failed":
          throw message.fileError
            ? new FileError(message.message)
            : new Error(message.message);
      }
    },
    release(frame) {
      const buffer = frame.buffer as ArrayBuffer;
      post({ type: "release", buffer }, [buffer]);
    },
    close() {
      closed = true;
      worker.terminate();
      wake(); // A terminated worker posts nothing: end a waiting next().
      return Promise.resolve();
    },
  };
}
