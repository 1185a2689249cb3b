/**
 * Little-endian cursor reader and writer over byte arrays, bounds-checked.
 * @module
 */

const ASCII = new TextDecoder("ascii");
// Fatal: a name is refused, never silently repaired; a BOM is kept as sent.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ENCODER = new TextEncoder();

/**
 * What a string field may hold: user names are printable ASCII; file names
 * are UTF-8, as they are on clients' disks (docs/protocol.md).
 */
export type FieldCharset = "ascii" | "utf-8";

/** Reads fields in order from a byte array; every read is bounds-checked. */
export class ByteReader {
  #view: DataView;
  #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #take(n: number): number {
    if (n > this.remaining) {
      throw new RangeError(
        `Cannot read ${n} bytes at offset ${this.#offset}: only ${this.remaining} left`,
      );
    }
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(): number {
    return this.#view.getUint8(this.#take(1));
  }

  u16(): number {
    return this.#view.getUint16(this.#take(2), true);
  }

  u32(): number {
    return this.#view.getUint32(this.#take(4), true);
  }

  /** A copy of the next `n` bytes, so it outlives a reused receive buffer. */
  bytes(n: number): Uint8Array {
    const at = this.#take(n);
    return this.#bytes.slice(at, at + n);
  }

  /**
   * A fixed-size, NUL-terminated, NUL-padded text field. Throws a
   * SyntaxError when the field has no NUL, holds an ASCII control byte
   * before it, or is not valid in `charset` (non-ASCII, or not UTF-8).
   */
  fixedString(size: number, charset: FieldCharset = "ascii"): string {
    const at = this.#take(size);
    const field = this.#bytes.subarray(at, at + size);
    const end = field.indexOf(0);
    if (end < 0) throw new SyntaxError("string field is not NUL-terminated");
    for (let i = 0; i < end; i++) {
      const c = field[i];
      if (c < 0x20 || c === 0x7f || (c > 0x7f && charset === "ascii")) {
        throw new SyntaxError(
          `string field holds a non-printable or non-ASCII byte 0x${
            c.toString(16).padStart(2, "0")
          } at ${i}`,
        );
      }
    }
    if (charset === "ascii") return ASCII.decode(field.subarray(0, end));
    try {
      return UTF8.decode(field.subarray(0, end));
    } catch {
      throw new SyntaxError("string field is not valid UTF-8");
    }
  }
}

/** Writes fields in order into a byte array of a known size. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  #view: DataView;
  #offset = 0;

  /** A new zeroed buffer of `target` bytes, or the start of `target` itself. */
  constructor(target: number | Uint8Array) {
    this.bytes = typeof target === "number" ? new Uint8Array(target) : target;
    this.#view = new DataView(
      this.bytes.buffer,
      this.bytes.byteOffset,
      this.bytes.byteLength,
    );
  }

  #take(n: number): number {
    if (this.#offset + n > this.bytes.length) {
      throw new RangeError(
        `Cannot write ${n} bytes past the end of the buffer`,
      );
    }
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(value: number): this {
    this.#view.setUint8(this.#take(1), value);
    return this;
  }

  u16(value: number): this {
    this.#view.setUint16(this.#take(2), value, true);
    return this;
  }

  u32(value: number): this {
    this.#view.setUint32(this.#take(4), value, true);
    return this;
  }

  raw(value: Uint8Array): this {
    this.bytes.set(value, this.#take(value.length));
    return this;
  }

  /**
   * A NUL-padded UTF-8 field of `size` bytes; the value must leave room for
   * the NUL and hold none. Which characters a field allows is the caller's
   * rule (user names: ASCII), checked before encoding.
   */
  fixedString(value: string, size: number): this {
    const encoded = ENCODER.encode(value);
    if (encoded.length >= size || encoded.includes(0)) {
      throw new RangeError(
        `Cannot encode string field: "${value}" is not text without NUL of at most ${
          size - 1
        } UTF-8 bytes`,
      );
    }
    const at = this.#take(size);
    this.bytes.set(encoded, at);
    // The padding is written too: the target may be a reused buffer.
    this.bytes.fill(0, at + encoded.length, at + size);
    return this;
  }
}
