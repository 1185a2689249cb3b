/**
 * One upload in progress: ciphertext packets in, plaintext streamed through
 * the checksum into a temporary file. Memory stays flat however large the file.
 * @module
 */
import { type CbcStream, createDecipher } from "../crypto/aes_cbc.ts";
import { Cksum } from "../crypto/cksum.ts";
import {
  type FilePacketHeader,
  type FilePacketRequest,
  ProtocolError,
} from "../protocol/messages.ts";
import type { FileStore, PendingFile } from "../storage/file_store.ts";
import { UndecryptableError } from "./key_failures.ts";

/** A completely received, decrypted file waiting for the client's verdict. */
export interface ReceivedFile {
  fileName: string;
  /** Size of the decrypted file. */
  size: number;
  checksum: number;
  pending: PendingFile;
}

/** Receives the packets of one file, in order. */
export class Upload {
  readonly header: Readonly<FilePacketHeader>;
  #nextPacket = 1;
  #received = 0;
  #decipher: CbcStream;
  #cksum = new Cksum();
  #pending: PendingFile;

  private constructor(
    header: FilePacketHeader,
    decipher: CbcStream,
    pending: PendingFile,
  ) {
    this.header = header;
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
    },
  ): Promise<Upload> {
    const pending = await store.begin(
      options.clientId,
      options.header.fileName,
    );
    return new Upload(
      { ...options.header },
      createDecipher(options.aesKey),
      pending,
    );
  }

  /** Ciphertext bytes received so far. */
  get received(): number {
    return this.#received;
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
    if (
      packet.contentSize !== h.contentSize ||
      packet.origFileSize !== h.origFileSize
    ) {
      return "file size changed mid-upload";
    }
    if (packet.packetNumber !== this.#nextPacket) {
      return `packet ${packet.packetNumber} out of sequence, expected ${this.#nextPacket}`;
    }
    const total = this.#received + packet.contentLength;
    if (total > h.contentSize) {
      return `packets carry more than the announced ${h.contentSize} bytes`;
    }
    if (packet.packetNumber === h.totalPackets && total !== h.contentSize) {
      return `packets carry ${total} bytes, not the announced ${h.contentSize}`;
    }
    return undefined;
  }

  /**
   * Streams one packet's ciphertext through decrypt, checksum and write.
   * `onProgress` gets the running ciphertext count after each chunk.
   */
  async receive(
    packet: FilePacketRequest,
    onProgress?: (received: number) => void,
  ): Promise<void> {
    const reason = this.mismatch(packet);
    if (reason) throw new ProtocolError(`Cannot accept file packet: ${reason}`);
    for await (const chunk of packet.content) {
      this.#received += chunk.length;
      await this.#consume(this.#decipher.update(chunk));
      onProgress?.(this.#received);
    }
    this.#nextPacket++;
  }

  async #consume(plain: Uint8Array): Promise<void> {
    if (plain.length === 0) return;
    this.#cksum.update(plain);
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
      pending: this.#pending,
    };
  }

  /** Drops the upload and its temporary file. */
  async abort(): Promise<void> {
    this.#decipher.close();
    await this.#pending.abort();
  }
}
