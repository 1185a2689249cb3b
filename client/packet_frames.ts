/**
 * The 1028 frames of one pass over a file: read, checksum the plaintext,
 * encrypt, and frame, into a few reused frame buffers. Pure of sockets: the
 * sender (send_file.ts) takes the frames, here or from a worker
 * (packet_worker.ts).
 * @module
 */
import { createCipher } from "../server/crypto/aes_cbc.ts";
import { Cksum } from "../server/crypto/cksum.ts";
import {
  FILE_PACKET_HEAD_SIZE,
  writeFilePacketHead,
} from "../server/protocol/client_codec.ts";
import { RequestCode } from "../server/protocol/constants.ts";
import type { PacketPlan } from "../server/protocol/packet_plan.ts";

/** Bytes read from disk per call. */
const READ_CHUNK = 1024 * 1024;

/** Frame buffers per pass: one on the wire, one ready, one being filled. */
export const FRAME_COUNT = 3;

/** The file on disk cannot be uploaded (missing, too large, changed). */
export class FileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FileError";
  }
}

/** What a pass frames: everything but the socket. */
export interface FrameSpec {
  path: string;
  aesKey: Uint8Array;
  clientId: Uint8Array;
  fileName: string;
  plan: PacketPlan;
}

/** The plaintext a pass read: its `cksum` and size. */
export interface PlainDigest {
  checksum: number;
  size: number;
}

/**
 * Frame buffers handed out and given back. `acquire()` waits while all are
 * out; after `close()` it answers null, so a producer waiting for a frame
 * ends instead of hanging.
 */
export class FramePool {
  #free: Uint8Array[] = [];
  #waiting: ((frame: Uint8Array | null) => void)[] = [];
  #closed = false;

  /** A pool of `count` frames of `size` bytes. */
  constructor(count: number, size: number) {
    for (let i = 0; i < count; i++) this.#free.push(new Uint8Array(size));
  }

  /** A free frame, once one is free; null once the pool is closed. */
  acquire(): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.resolve(null);
    const frame = this.#free.pop();
    if (frame) return Promise.resolve(frame);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives back a frame (the whole buffer, whatever part of it was sent). */
  release(frame: Uint8Array): void {
    const whole = new Uint8Array(frame.buffer);
    const waiter = this.#waiting.shift();
    if (waiter) waiter(whole);
    else this.#free.push(whole);
  }

  /** Whether close() was called: producers stop. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Ends the pool: pending and later `acquire()` calls answer null. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter(null);
  }
}

/** The file at `path` could not be opened or read. */
function unreadable(path: string, error: unknown): FileError {
  return new FileError(
    `Cannot back up ${path}: ${(error as Error).message}`,
    { cause: error },
  );
}

/** Frame size for a plan: the head and a full packet's content. */
export function frameSize(plan: PacketPlan): number {
  return FILE_PACKET_HEAD_SIZE + Math.min(plan.packetSize, plan.contentSize);
}

/**
 * Yields the pass's frames in order, each a view of a pool frame that the
 * consumer releases once sent, and returns the plaintext's digest; returns
 * early, with no digest, when the pool closes. Throws FileError when the
 * file cannot be read or changes size while being read.
 */
export async function* fileFrames(
  spec: FrameSpec,
  pool: FramePool,
): AsyncGenerator<Uint8Array, PlainDigest | undefined> {
  const { path, plan } = spec;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw unreadable(path, error);
  }
  const cipher = createCipher(spec.aesKey);
  const cksum = new Cksum();
  const capacity = frameSize(plan) - FILE_PACKET_HEAD_SIZE;
  let frame: Uint8Array | null = null;
  let fill = 0;
  let packetNumber = 0;
  /** Copies `bytes` into frames, yielding each frame that fills up. */
  async function* pack(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
    while (bytes.length > 0) {
      frame ??= await pool.acquire();
      if (!frame) return;
      const n = Math.min(bytes.length, capacity - fill);
      frame.set(bytes.subarray(0, n), FILE_PACKET_HEAD_SIZE + fill);
      fill += n;
      bytes = bytes.subarray(n);
      if (fill === capacity) yield seal();
    }
  }
  /** Heads the frame filled so far and hands it over. */
  function seal(): Uint8Array {
    packetNumber++;
    writeFilePacketHead(frame!, {
      code: RequestCode.SEND_FILE,
      clientId: spec.clientId,
      contentSize: plan.contentSize,
      origFileSize: plan.origFileSize,
      packetNumber,
      totalPackets: plan.totalPackets,
      fileName: spec.fileName,
      contentLength: fill,
    });
    const sealed = frame!.subarray(0, FILE_PACKET_HEAD_SIZE + fill);
    frame = null;
    fill = 0;
    return sealed;
  }
  // Two read buffers: the next read runs while this chunk is encrypted.
  const size = Math.min(READ_CHUNK, plan.origFileSize + 1);
  const buffers = [new Uint8Array(size), new Uint8Array(size)];
  let current = 0;
  let reading: Promise<number | null> = Promise.resolve(null);
  try {
    reading = file.read(buffers[current]);
    let read = 0;
    for (;;) {
      let n: number | null;
      try {
        n = await reading;
      } catch (error) {
        // An I/O error on this file: skip it, as a missing file is skipped.
        throw unreadable(path, error);
      }
      if (n === null) break;
      read += n;
      if (read > plan.origFileSize) break;
      const chunk = buffers[current].subarray(0, n);
      current ^= 1;
      reading = file.read(buffers[current]);
      cksum.update(chunk);
      // What update() returns is valid only until the next cipher call.
      yield* pack(cipher.update(chunk));
      if (pool.closed) return undefined;
    }
    if (read !== plan.origFileSize) {
      throw new FileError(
        `Cannot back up ${path}: file changed size while being read (${plan.origFileSize} bytes expected)`,
      );
    }
    yield* pack(cipher.final());
    if (pool.closed) return undefined;
    if (fill > 0) yield seal();
    return { checksum: cksum.digest(), size: read };
  } finally {
    await reading.catch(() => null);
    cipher.close();
    file.close();
  }
}
