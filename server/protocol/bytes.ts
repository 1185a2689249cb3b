/**
 * Little-endian cursor reader and writer over byte arrays, bounds-checked.
 * @module
 */

const ASCII = new TextDecoder("ascii");
const ENCODER = new TextEncoder();

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
   * A fixed-size, NUL-terminated, NUL-padded ASCII field. Throws a
   * SyntaxError when the field has no NUL or holds a control or non-ASCII
   * character before it.
   */
  fixedString(size: number): string {
    const at = this.#take(size);
    const field = this.#bytes.subarray(at, at + size);
    const end = field.indexOf(0);
    if (end < 0) throw new SyntaxError("string field is not NUL-terminated");
    for (let i = 0; i < end; i++) {
      const c = field[i];
      if (c < 0x20 || c > 0x7e) {
        throw new SyntaxError(
          `string field holds a non-printable or non-ASCII byte 0x${
            c.toString(16).padStart(2, "0")
          } at ${i}`,
        );
      }
    }
    return ASCII.decode(field.subarray(0, end));
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

  /** A NUL-padded ASCII field of `size` bytes; the value must leave room for the NUL. */
  fixedString(value: string, size: number): this {
    const encoded = ENCODER.encode(value);
    if (encoded.length >= size || encoded.length !== value.length) {
      throw new RangeError(
        `Cannot encode string field: "${value}" is not ASCII of at most ${
          size - 1
        } characters`,
      );
    }
    const at = this.#take(size);
    this.bytes.set(encoded, at);
    // The padding is written too: the target may be a reused buffer.
    this.bytes.fill(0, at + encoded.length, at + size);
    return this;
  }
}
