/**
 * One pass of an upload: read the file, checksum the plaintext, encrypt and
 * send it packet by packet, and return the server's answer.
 * @module
 */
import { createCipher } from "../server/crypto/aes_cbc.ts";
import { Cksum } from "../server/crypto/cksum.ts";
import {
  FILE_PACKET_HEAD_SIZE,
  writeFilePacketHead,
} from "../server/protocol/client_codec.ts";
import { RequestCode, ResponseCode } from "../server/protocol/constants.ts";
import type { Response } from "../server/protocol/messages.ts";
import type { PacketPlan } from "./packet_plan.ts";
import { BadResponseError, type ProtocolClient } from "./protocol_client.ts";

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

/** What one pass needs. */
export interface SendOptions {
  client: ProtocolClient;
  clientId: Uint8Array;
  aesKey: Uint8Array;
  fileName: string;
  plan: PacketPlan;
  /** 1-based, for progress reports. */
  attempt: number;
  onProgress?: (progress: UploadProgress) => void;
}

/**
 * One pass over the file: read, checksum, encrypt, send packet by packet.
 * The answer is awaited from the start, so a 1607 that arrives early stops
 * the pass instead of pushing the rest of the file into a dead upload.
 */
export async function sendFile(
  path: string,
  options: SendOptions,
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
  let reading: Promise<number | null> = Promise.resolve(null);
  // Two frames, each a whole 1028 packet with room for a full packet's
  // content: one is on the wire while the next is filled, and neither is
  // copied or reallocated to be sent.
  const capacity = Math.min(plan.packetSize, plan.contentSize);
  const frames = [0, 1].map(() =>
    new Uint8Array(FILE_PACKET_HEAD_SIZE + capacity)
  );
  let frame = frames[0];
  let fill = 0;
  let packetNumber = 0;
  let sentCipher = 0;
  let inflight: Promise<void> = Promise.resolve();
  const flush = async () => {
    packetNumber++;
    writeFilePacketHead(frame, {
      code: RequestCode.SEND_FILE,
      clientId,
      contentSize: plan.contentSize,
      origFileSize: plan.origFileSize,
      packetNumber,
      totalPackets: plan.totalPackets,
      fileName,
      contentLength: fill,
    });
    const sending = client.sendBytes(
      frame.subarray(0, FILE_PACKET_HEAD_SIZE + fill),
    );
    sending.catch(() => {}); // Awaited below or at the end of the pass.
    await inflight; // The other frame is free once its packet is sent.
    inflight = sending;
    frame = frame === frames[0] ? frames[1] : frames[0];
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
      const n = Math.min(bytes.length - offset, capacity - fill);
      frame.set(
        bytes.subarray(offset, offset + n),
        FILE_PACKET_HEAD_SIZE + fill,
      );
      fill += n;
      offset += n;
      if (fill === capacity) await flush();
    }
  };
  try {
    options.onProgress?.({
      fileName,
      sent: 0,
      total: plan.origFileSize,
      attempt,
    });
    // Two read buffers: the next read runs while this chunk is encrypted.
    const size = Math.min(READ_CHUNK, plan.origFileSize + 1);
    const buffers = [new Uint8Array(size), new Uint8Array(size)];
    let current = 0;
    reading = file.read(buffers[current]);
    let read = 0;
    while (!answered) {
      const n = await reading;
      if (n === null) break;
      read += n;
      if (read > plan.origFileSize) break;
      const chunk = buffers[current].subarray(0, n);
      current ^= 1;
      reading = file.read(buffers[current]);
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
    await inflight;
  } catch (error) {
    // A send that failed because the server hung up may have left a 1607 behind.
    let timer: number | undefined;
    const early = await Promise.race([
      answer.catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, 100);
      }),
    ]);
    clearTimeout(timer);
    if (early?.code === ResponseCode.SERVER_ERROR) {
      return { response: early, checksum: cksum.digest() };
    }
    client.close();
    throw error;
  } finally {
    await reading.catch(() => null);
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
  const response = await answer;
  if (
    packetNumber < plan.totalPackets &&
    response.code !== ResponseCode.SERVER_ERROR
  ) {
    client.close();
    throw new BadResponseError(
      `Cannot upload ${fileName}: server answered ${response.code} after packet ${packetNumber} of ${plan.totalPackets}`,
    );
  }
  return { response, checksum: cksum.digest() };
}
