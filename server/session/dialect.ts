/**
 * Which 1028 dialect an upload speaks, decided from the packet headers and
 * the first ciphertext block (`docs/protocol.md`, "Dialects"). Pure: no I/O;
 * `Upload` feeds it the headers and the first 16 bytes of packet 1.
 *
 * With O the announced file size and C = encryptedSize(O):
 * - ContentSize means "total" when it is C or C + 16 in every packet, and
 *   "per packet" when it equals each packet's content length. A packet 1
 *   that fits both leaves it open until a later packet decides.
 * - The zero IV prefix: in total mode C + 16 says "prefix" (its 16 bytes
 *   must be zero) and C says "none". Otherwise a packet 1 opening with 16
 *   zero bytes has the prefix, and the upload must then total C + 16.
 * - Every upload must end with exactly C bytes after the prefix.
 * @module
 */
import { encryptedSize } from "../protocol/packet_plan.ts";
import { Size } from "../protocol/constants.ts";
import { ProtocolError } from "../protocol/messages.ts";

/** What ContentSize means: the whole ciphertext, or this packet's content. */
export type SizeMeaning = "total" | "per-packet";

/** How one upload was sent; `"either"` when every packet fit both meanings. */
export interface UploadDialect {
  ivPrefix: boolean;
  sizes: SizeMeaning | "either";
}

/** Every size meaning an upload can end with, in a fixed order. */
export const UPLOAD_SIZE_MEANINGS: readonly UploadDialect["sizes"][] = [
  "total",
  "per-packet",
  "either",
];

/** The header fields of a 1028 packet that the dialect depends on. */
export interface PacketSizes {
  contentSize: number;
  origFileSize: number;
  /** Bytes of content this packet carries. */
  contentLength: number;
}

const BLOCK = Size.AES_BLOCK;

function refuse(reason: string): never {
  throw new ProtocolError(`Cannot accept file: ${reason}`);
}

/** The dialect of one upload, as far as its packets have told it. */
export class DialectTracker {
  /** Ciphertext size of the announced file, without prefix. */
  readonly cipherSize: number;
  readonly #firstContentSize: number;
  #meaning: SizeMeaning | undefined;
  /** "required": the sizes say prefix; "if-zero": the first block decides. */
  #prefixRule: "required" | "if-zero" | "none";
  #prefix: boolean | undefined;

  /**
   * Reads packet 1's header. Throws ProtocolError when ContentSize fits
   * neither meaning, or when a required prefix cannot come whole in it.
   */
  constructor(first: PacketSizes) {
    const c = encryptedSize(first.origFileSize);
    const cs = first.contentSize;
    const total = cs === c || cs === c + BLOCK;
    const perPacket = cs === first.contentLength;
    if (!total && !perPacket) {
      refuse(
        `content size ${cs} fits neither a ${first.origFileSize}-byte file (${c} or ${
          c + BLOCK
        } bytes) nor this packet's ${first.contentLength} bytes`,
      );
    }
    this.cipherSize = c;
    this.#firstContentSize = cs;
    this.#meaning = total && perPacket
      ? undefined
      : total
      ? "total"
      : "per-packet";
    this.#prefixRule = total && cs === c + BLOCK
      ? "required"
      : perPacket && first.contentLength >= BLOCK
      ? "if-zero"
      : "none";
    if (this.#prefixRule === "required" && first.contentLength < BLOCK) {
      refuse(
        `the size says a 16-byte IV prefix, but packet 1 carries only ${first.contentLength} bytes`,
      );
    }
    if (this.#prefixRule === "none") this.#prefix = false;
  }

  /** True until `takeFirstBlock()` has decided the prefix. */
  get needsFirstBlock(): boolean {
    return this.#prefix === undefined;
  }

  /**
   * Decides from packet 1's first 16 bytes whether they are the IV prefix
   * (to be dropped: a zero block taken as the IV decrypts the rest the
   * same). Throws ProtocolError when the size says prefix and they are not
   * zero.
   */
  takeFirstBlock(block: Uint8Array): boolean {
    const zero = block.length === BLOCK && block.every((b) => b === 0);
    if (this.#prefixRule === "required" && !zero) {
      refuse(
        "the size says a zero IV prefix, but the first 16 bytes are not zero",
      );
    }
    this.#prefix = zero;
    return zero;
  }

  /**
   * Checks a later packet's ContentSize against the meaning chosen so far,
   * deciding it if still open. Returns why the packet does not fit, or
   * undefined.
   */
  follow(packet: PacketSizes): string | undefined {
    const total = packet.contentSize === this.#firstContentSize;
    const perPacket = packet.contentSize === packet.contentLength;
    if (this.#meaning === undefined) {
      if (total !== perPacket) this.#meaning = total ? "total" : "per-packet";
      else if (!total) return this.#neither(packet);
    }
    if (this.#meaning === "total" && !total) {
      return `content size changed mid-upload from ${this.#firstContentSize} to ${packet.contentSize}`;
    }
    if (this.#meaning === "per-packet" && !perPacket) {
      return `content size ${packet.contentSize} is not this packet's ${packet.contentLength} bytes`;
    }
    return undefined;
  }

  #neither(packet: PacketSizes): string {
    return `content size ${packet.contentSize} is neither the total ${this.#firstContentSize} nor this packet's ${packet.contentLength} bytes`;
  }

  /** Bytes the whole upload must carry, prefix included; needs the prefix decided. */
  get expectedBytes(): number {
    return this.cipherSize + (this.#prefix ? BLOCK : 0);
  }

  /**
   * Checks the running byte count once the prefix is decided: never above
   * the expected total, exactly it after the last packet, and in total
   * mode equal to ContentSize. Returns why not, or undefined.
   */
  checkBytes(received: number, last: boolean): string | undefined {
    const expected = this.expectedBytes;
    if (this.#meaning === "total" && this.#firstContentSize !== expected) {
      return this.#prefix
        ? `content size ${this.#firstContentSize} says no IV prefix, but the first 16 bytes are zero`
        : `content size ${this.#firstContentSize} says an IV prefix that is not there`;
    }
    if (received > expected || (last && received !== expected)) {
      return `packets carry ${
        last ? "" : "at least "
      }${received} bytes, expected ${expected} (${
        this.#prefix ? "with" : "without"
      } IV prefix)`;
    }
    return undefined;
  }

  /** The dialect as decided at the end of the upload. */
  get dialect(): UploadDialect {
    return {
      ivPrefix: this.#prefix ?? false,
      sizes: this.#meaning ?? "either",
    };
  }
}

/** A short fixed label of a dialect, for the transfers table and metrics. */
export function dialectLabel(dialect: UploadDialect): string {
  return `${dialect.ivPrefix ? "iv-prefix" : "no-prefix"} ${dialect.sizes}`;
}
