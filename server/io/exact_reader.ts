/**
 * Exact-length reads over a byte stream (a TCP connection), into one reused
 * buffer, so a hostile length never makes us allocate it.
 * @module
 */

/** The stream ended in the middle of a message. */
export class TruncatedError extends Error {
  constructor(expected: number, got: number) {
    super(
      `Cannot read message: connection closed after ${got} of ${expected} bytes`,
    );
    this.name = "TruncatedError";
  }
}

/**
 * Reads exact byte counts from a BYOB-capable stream into an internal buffer.
 * Every returned view aliases that buffer and is valid only until the next
 * read: callers copy what they keep.
 */
export class ExactReader {
  #reader: ReadableStreamBYOBReader;
  #buffer: ArrayBuffer;
  /** Called after every chunk that arrives, e.g. to reset an idle timer. */
  #onData: () => void;

  constructor(
    stream: ReadableStream<Uint8Array>,
    options: { bufferSize: number; onData?: () => void },
  ) {
    this.#reader = stream.getReader({ mode: "byob" });
    this.#buffer = new ArrayBuffer(options.bufferSize);
    this.#onData = options.onData ?? (() => {});
  }

  /**
   * Swaps the internal buffer for one of `bufferSize` bytes, e.g. a large
   * one once a peer has authenticated. Views returned earlier stay valid.
   */
  resize(bufferSize: number): void {
    this.#buffer = new ArrayBuffer(bufferSize);
  }

  /** Size of the internal buffer: the most one read may ask for. */
  get bufferSize(): number {
    return this.#buffer.byteLength;
  }

  /**
   * Reads between `min` and `max` bytes (`max` at most the buffer size).
   * Returns null when the stream ends before any byte; throws
   * TruncatedError when it ends after some but fewer than `min`.
   */
  async readAtLeast(min: number, max = min): Promise<Uint8Array | null> {
    if (max > this.#buffer.byteLength || min > max || min < 1) {
      throw new RangeError(
        `Cannot read ${min}..${max} bytes with a ${this.#buffer.byteLength}-byte buffer`,
      );
    }
    const { value, done } = await this.#reader.read(
      new Uint8Array(this.#buffer, 0, max),
      { min },
    );
    if (value) this.#buffer = value.buffer as ArrayBuffer;
    const got = value?.length ?? 0;
    if (got > 0) this.#onData();
    if (got === 0 && done) return null;
    if (got < min) throw new TruncatedError(min, got);
    return value!;
  }

  /** Reads exactly `n` bytes; null on a clean end of stream before any. */
  read(n: number): Promise<Uint8Array | null> {
    return this.readAtLeast(n, n);
  }

  /** Like `read`, but a clean end of stream is also truncation. */
  async readRequired(n: number): Promise<Uint8Array> {
    const bytes = await this.read(n);
    if (!bytes) throw new TruncatedError(n, 0);
    return bytes;
  }

  /**
   * Yields exactly `total` bytes in chunks as they arrive (each chunk at
   * least `minChunk` bytes unless fewer remain). Each chunk is valid only
   * until the next is asked for.
   */
  async *chunks(
    total: number,
    minChunk = 64 * 1024,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    let left = total;
    while (left > 0) {
      const max = Math.min(left, this.#buffer.byteLength);
      const chunk = await this.readAtLeast(Math.min(minChunk, max), max);
      if (!chunk) throw new TruncatedError(total, total - left);
      left -= chunk.length;
      yield chunk;
    }
  }

  /** Reads and drops `n` bytes. */
  async skip(n: number): Promise<void> {
    for await (const _ of this.chunks(n)) { /* dropped */ }
  }

  /** Stops reading; a pending read rejects. */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

/** Writes all of `bytes`, however many calls it takes. */
export async function writeAll(
  writer: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await writer.write(bytes.subarray(offset));
  }
}
