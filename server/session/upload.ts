/**
 * One upload in progress: ciphertext packets in, plaintext streamed through
 * the checksum and the BLAKE3 (its content address, docs/history.md) into
 * a temporary file. Memory stays flat however large the file.
 * @module
 */
import { type CbcStream, createDecipher } from "../crypto/aes_cbc.ts";
import { Cksum } from "../crypto/cksum.ts";
import { type Blake3Stream, createBlake3 } from "../crypto/blake3.ts";
import {
  type FilePacketHeader,
  type FilePacketRequest,
  ProtocolError,
} from "../protocol/messages.ts";
import { Size } from "../protocol/constants.ts";
import type { FileStore, PendingFile } from "../storage/file_store.ts";
import type { DialectTracker, UploadDialect } from "./dialect.ts";
import { UndecryptableError } from "./key_failures.ts";

/** A completely received, decrypted file waiting for the client's verdict. */
export interface ReceivedFile {
  fileName: string;
  /** Size of the decrypted file. */
  size: number;
  checksum: number;
  /** BLAKE3 of the decrypted file, lowercase hex: its content address. */
  blake3: string;
  pending: PendingFile;
  /** How the client sent it. */
  dialect: UploadDialect;
}

/** Receives the packets of one file, in order. */
export class Upload {
  readonly header: Readonly<FilePacketHeader>;
  #nextPacket = 1;
  /** Content bytes on the wire so far, IV prefix included. */
  #wire = 0;
  /** Ciphertext bytes decrypted so far (the wire bytes but the prefix). */
  #received = 0;
  #dialect: DialectTracker;
  #decipher: CbcStream;
  #cksum = new Cksum();
  #blake3: Blake3Stream = createBlake3();
  #pending: PendingFile;

  private constructor(
    header: FilePacketHeader,
    dialect: DialectTracker,
    decipher: CbcStream,
    pending: PendingFile,
  ) {
    this.header = header;
    this.#dialect = dialect;
    this.#decipher = decipher;
    this.#pending = pending;
  }

  /** Opens the temporary file and the decipher for a packet 1. */
  static async start(
    store: FileStore,
    options: {
      clientId: Uint8Array;
      aesKey: Uint8Array;
      header: FilePacketHeader;
      /** What packet 1's sizes said (`new DialectTracker(packet)`). */
      dialect: DialectTracker;
    },
  ): Promise<Upload> {
    const { header, dialect } = options;
    const pending = await store.begin(options.clientId, header.fileName);
    return new Upload(
      {
        contentSize: header.contentSize,
        origFileSize: header.origFileSize,
        packetNumber: header.packetNumber,
        totalPackets: header.totalPackets,
        fileName: header.fileName,
      },
      dialect,
      createDecipher(options.aesKey),
      pending,
    );
  }

  /** Ciphertext bytes received so far, without the IV prefix. */
  get received(): number {
    return this.#received;
  }

  /** The number of the packet this upload takes next. */
  get nextPacket(): number {
    return this.#nextPacket;
  }

  /** True once the last packet has been received. */
  get complete(): boolean {
    return this.#nextPacket > this.header.totalPackets;
  }

  /** Why a packet cannot continue this upload, or undefined when it can. */
  mismatch(
    packet: FilePacketHeader & { contentLength: number },
  ): string | undefined {
    const h = this.header;
    if (packet.fileName !== h.fileName) return "file name changed mid-upload";
    if (packet.totalPackets !== h.totalPackets) {
      return "packet count changed mid-upload";
    }
    if (packet.origFileSize !== h.origFileSize) {
      return "file size changed mid-upload";
    }
    if (packet.packetNumber !== this.#nextPacket) {
      return `packet ${packet.packetNumber} out of sequence, expected ${this.#nextPacket}`;
    }
    if (packet.packetNumber > 1) {
      const reason = this.#dialect.follow(packet);
      if (reason) return reason;
    }
    if (this.#dialect.needsFirstBlock) return undefined;
    return this.#dialect.checkBytes(
      this.#wire + packet.contentLength,
      packet.packetNumber === h.totalPackets,
    );
  }

  /**
   * Streams one packet's ciphertext through decrypt, checksum and write.
   * Packet 1's first 16 bytes are held back until they tell whether they
   * are the IV prefix, which is dropped. `onProgress` gets the running
   * ciphertext count after each chunk.
   */
  async receive(
    packet: FilePacketRequest,
    onProgress?: (received: number) => void,
  ): Promise<void> {
    const reason = this.mismatch(packet);
    if (reason) throw new ProtocolError(`Cannot accept file packet: ${reason}`);
    const last = packet.packetNumber === this.header.totalPackets;
    let head = this.#dialect.needsFirstBlock
      ? new Uint8Array(Size.AES_BLOCK)
      : undefined;
    let filled = 0;
    for await (const chunk of packet.content) {
      this.#wire += chunk.length;
      let data = chunk;
      if (head) {
        const n = Math.min(head.length - filled, chunk.length);
        head.set(chunk.subarray(0, n), filled);
        filled += n;
        if (filled < head.length) continue;
        data = chunk.subarray(n);
        const prefix = this.#dialect.takeFirstBlock(head);
        const problem = this.#dialect.checkBytes(packet.contentLength, last);
        if (problem) {
          throw new ProtocolError(`Cannot accept file packet: ${problem}`);
        }
        if (!prefix) await this.#decrypt(head);
        head = undefined;
      }
      await this.#decrypt(data);
      onProgress?.(this.#received);
    }
    if (head) {
      throw new ProtocolError(
        "Cannot accept file packet: packet 1 ended within its first 16 bytes",
      );
    }
    this.#nextPacket++;
  }

  async #decrypt(cipher: Uint8Array): Promise<void> {
    if (cipher.length === 0) return;
    this.#received += cipher.length;
    await this.#consume(this.#decipher.update(cipher));
  }

  async #consume(plain: Uint8Array): Promise<void> {
    if (plain.length === 0) return;
    this.#cksum.update(plain);
    this.#blake3.update(plain);
    if (this.#cksum.length > this.header.origFileSize) {
      throw new ProtocolError(
        "Cannot accept file packet: plaintext is longer than the announced file size",
      );
    }
    await this.#pending.write(plain);
  }

  /** After the last packet: checks padding and size, returns the checksum. */
  async finish(): Promise<ReceivedFile> {
    let last: Uint8Array;
    try {
      last = this.#decipher.final();
    } catch (error) {
      throw new UndecryptableError(
        `Cannot decrypt file: ${(error as Error).message}`,
      );
    } finally {
      this.#decipher.close();
    }
    await this.#consume(last);
    if (this.#cksum.length !== this.header.origFileSize) {
      throw new UndecryptableError(
        `Cannot decrypt file: decrypted ${this.#cksum.length} bytes, announced ${this.header.origFileSize}`,
      );
    }
    return {
      fileName: this.header.fileName,
      size: this.#cksum.length,
      checksum: this.#cksum.digest(),
      blake3: this.#blake3.digest(),
      pending: this.#pending,
      dialect: this.#dialect.dialect,
    };
  }

  /** Drops the upload and its temporary file. */
  async abort(): Promise<void> {
    this.#decipher.close();
    await this.#pending.abort();
  }
}
