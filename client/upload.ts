/**
 * Uploads one file: streams it from disk through AES-CBC into 1028 packets,
 * checksums the plaintext in the same pass, and settles the checksum with
 * the server (1029, or 1030 and resend, or 1031 after the third mismatch).
 * @module
 */
import { basename } from "node:path";
import { createCipher } from "../server/crypto/aes_cbc.ts";
import { Cksum } from "../server/crypto/cksum.ts";
import { RequestCode, ResponseCode } from "../server/protocol/constants.ts";
import type { Response } from "../server/protocol/messages.ts";
import { type PacketPlan, planPackets } from "./packet_plan.ts";
import {
  BadResponseError,
  type ProtocolClient,
  ServerError,
} from "./protocol_client.ts";

/** Attempts per file before the client gives up on checksum mismatches. */
export const CHECKSUM_ATTEMPTS = 3;

/** Bytes read from disk per call. */
const READ_CHUNK = 1024 * 1024;

/** The file on disk cannot be uploaded (missing, too large, changed). */
export class FileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FileError";
  }
}

/** Where an upload is, for a progress display. */
export interface UploadProgress {
  fileName: string;
  /** Plaintext bytes sent so far in this attempt. */
  sent: number;
  total: number;
  /** 1-based attempt number (a resend after a mismatch starts again). */
  attempt: number;
}

/** What an upload needs besides the file. */
export interface UploadOptions {
  client: ProtocolClient;
  clientId: Uint8Array;
  aesKey: Uint8Array;
  onProgress?: (progress: UploadProgress) => void;
  /** Told about each checksum mismatch before the resend or the 1031. */
  onMismatch?: (
    info: { attempt: number; ours: number; theirs: number },
  ) => void;
}

/** How an upload ended, when the protocol itself did not fail. */
export type UploadResult =
  | { verified: true; fileName: string; size: number; checksum: number }
  | { verified: false; fileName: string; reason: string };

/** Size and packet plan of `path`; FileError when it cannot be uploaded. */
export async function inspectFile(
  path: string,
): Promise<{ fileName: string; plan: PacketPlan }> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file not found"
      : (error as Error).message;
    throw new FileError(`Cannot back up ${path}: ${reason}`, { cause: error });
  }
  if (!info.isFile) {
    throw new FileError(`Cannot back up ${path}: not a regular file`);
  }
  try {
    return { fileName: basename(path), plan: planPackets(info.size) };
  } catch (error) {
    throw new FileError((error as Error).message, { cause: error });
  }
}

/**
 * Uploads `path` and settles its checksum. Resolves with the outcome;
 * rejects with ServerError on 1607, ConnectionLostError when the
 * connection fails, BadResponseError on an answer the protocol does not
 * allow, FileError when the file cannot be read. After a rejection the
 * connection may be mid-upload: the caller should retry on a new one or
 * start the file again from packet 1.
 */
export async function uploadFile(
  path: string,
  options: UploadOptions,
): Promise<UploadResult> {
  const { fileName, plan } = await inspectFile(path);
  const { client, clientId } = options;
  for (let attempt = 1;; attempt++) {
    const { response, checksum } = await sendFile(path, {
      ...options,
      fileName,
      plan,
      attempt,
    });
    if (response.code === ResponseCode.SERVER_ERROR) {
      throw new ServerError(`Server refused ${fileName} (1607)`);
    }
    if (response.code !== ResponseCode.FILE_RECEIVED) {
      throw new BadResponseError(
        `Cannot upload ${fileName}: expected 1603 after the last packet, got ${response.code}`,
      );
    }
    if (response.fileName !== fileName) {
      throw new BadResponseError(
        `Cannot upload ${fileName}: server confirmed "${response.fileName}" instead`,
      );
    }
    const matches = response.checksum === checksum &&
      response.contentSize === plan.origFileSize;
    if (matches) {
      await expectAck(
        client,
        { code: RequestCode.CRC_OK, clientId, fileName },
        fileName,
      );
      return { verified: true, fileName, size: plan.origFileSize, checksum };
    }
    options.onMismatch?.({
      attempt,
      ours: checksum,
      theirs: response.checksum,
    });
    if (attempt < CHECKSUM_ATTEMPTS) {
      await client.send({ code: RequestCode.CRC_RETRY, clientId, fileName });
      continue;
    }
    await expectAck(
      client,
      { code: RequestCode.CRC_ABORT, clientId, fileName },
      fileName,
    );
    return {
      verified: false,
      fileName,
      reason:
        `checksum mismatch ${CHECKSUM_ATTEMPTS} times (ours ${checksum}, server's ${response.checksum})`,
    };
  }
}

async function expectAck(
  client: ProtocolClient,
  request: {
    code: typeof RequestCode.CRC_OK | typeof RequestCode.CRC_ABORT;
    clientId: Uint8Array;
    fileName: string;
  },
  fileName: string,
): Promise<void> {
  const response = await client.request(request);
  if (response.code === ResponseCode.ACK) return;
  if (response.code === ResponseCode.SERVER_ERROR) {
    throw new ServerError(
      `Server refused checksum verdict ${request.code} for ${fileName} (1607)`,
    );
  }
  throw new BadResponseError(
    `Cannot settle ${fileName}: expected 1604 after ${request.code}, got ${response.code}`,
  );
}

/**
 * One pass over the file: read, checksum, encrypt, send packet by packet.
 * The answer is awaited from the start, so a 1607 that arrives early stops
 * the pass instead of pushing the rest of the file into a dead upload.
 */
async function sendFile(
  path: string,
  options: UploadOptions & {
    fileName: string;
    plan: PacketPlan;
    attempt: number;
  },
): Promise<{ response: Response; checksum: number }> {
  const { client, clientId, fileName, plan, attempt } = options;
  let answered = false;
  const answer = client.receive({ deferTimeout: true }).finally(() => {
    answered = true;
  });
  answer.catch(() => {}); // Awaited below; this only avoids an unhandled rejection.

  const cksum = new Cksum();
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    client.close();
    throw new FileError(
      `Cannot back up ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const cipher = createCipher(options.aesKey);
  const packet = new Uint8Array(Math.min(plan.packetSize, plan.contentSize));
  let fill = 0;
  let packetNumber = 0;
  let sentCipher = 0;
  const flush = async () => {
    packetNumber++;
    await client.send({
      code: RequestCode.SEND_FILE,
      clientId,
      contentSize: plan.contentSize,
      origFileSize: plan.origFileSize,
      packetNumber,
      totalPackets: plan.totalPackets,
      fileName,
      content: packet.subarray(0, fill),
    });
    sentCipher += fill;
    fill = 0;
    options.onProgress?.({
      fileName,
      sent: Math.min(sentCipher, plan.origFileSize),
      total: plan.origFileSize,
      attempt,
    });
  };
  // Copies `bytes` (valid only until the next cipher call) into packets.
  const push = async (bytes: Uint8Array) => {
    let offset = 0;
    while (offset < bytes.length && !answered) {
      const n = Math.min(bytes.length - offset, packet.length - fill);
      packet.set(bytes.subarray(offset, offset + n), fill);
      fill += n;
      offset += n;
      if (fill === packet.length) await flush();
    }
  };
  try {
    options.onProgress?.({
      fileName,
      sent: 0,
      total: plan.origFileSize,
      attempt,
    });
    const buffer = new Uint8Array(Math.min(READ_CHUNK, plan.origFileSize + 1));
    let read = 0;
    while (!answered) {
      const n = await file.read(buffer);
      if (n === null) break;
      read += n;
      if (read > plan.origFileSize) break;
      const chunk = buffer.subarray(0, n);
      cksum.update(chunk);
      await push(cipher.update(chunk));
    }
    if (!answered) {
      if (read !== plan.origFileSize) {
        client.close();
        throw new FileError(
          `Cannot back up ${path}: file changed size while being read (${plan.origFileSize} bytes expected)`,
        );
      }
      await push(cipher.final());
      if (fill > 0 && !answered) await flush();
    }
  } catch (error) {
    // A send that failed because the server hung up may have left a 1607 behind.
    const early = await Promise.race([
      answer.catch(() => undefined),
      new Promise<undefined>((resolve) => setTimeout(resolve, 100)),
    ]);
    if (early?.code === ResponseCode.SERVER_ERROR) {
      return { response: early, checksum: cksum.digest() };
    }
    client.close();
    throw error;
  } finally {
    cipher.close();
    file.close();
  }
  if (!answered && packetNumber !== plan.totalPackets) {
    client.close();
    throw new Error(
      `Cannot upload ${fileName}: sent ${packetNumber} of ${plan.totalPackets} packets`,
    );
  }
  client.armTimeout();
  return { response: await answer, checksum: cksum.digest() };
}
