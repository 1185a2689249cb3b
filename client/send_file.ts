/**
 * One pass of an upload: send the file's 1028 frames (read, checksummed,
 * encrypted and framed by a packet source) and return the server's answer.
 * @module
 */
import { ResponseCode } from "../server/protocol/constants.ts";
import type { Response } from "../server/protocol/messages.ts";
import { FILE_PACKET_HEAD_SIZE } from "../server/protocol/client_codec.ts";
import { FileError } from "./packet_frames.ts";
import type { PacketPlan } from "../server/protocol/packet_plan.ts";
import { openPacketSource } from "./packet_source.ts";
import { BadResponseError, type ProtocolClient } from "./protocol_client.ts";

export { FileError };

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
  /**
   * A 1030 went out just before: a server may acknowledge it with 1604
   * before it answers this pass with 1603 or 1607. Such a 1604 is skipped;
   * it cannot be mistaken for the pass's answer, which is never 1604.
   */
  ackMayPrecede?: boolean;
  onProgress?: (progress: UploadProgress) => void;
}

/**
 * One pass over the file: its frames go out as fast as the packet source
 * makes them, with one on the wire while the next is made. The answer is
 * awaited from the start, so a 1607 that arrives early stops the pass
 * instead of pushing the rest of the file into a dead upload.
 */
export async function sendFile(
  path: string,
  options: SendOptions,
): Promise<{ response: Response; checksum: number }> {
  const { client, clientId, fileName, plan, attempt } = options;
  let answered = false;
  // Whether the last packet is out, so the answer's timeout should run.
  let armed = false;
  const answer = (async () => {
    const first = await client.receive({ deferTimeout: true });
    if (!options.ackMayPrecede || first.code !== ResponseCode.ACK) return first;
    return await client.receive({ deferTimeout: !armed });
  })().finally(() => {
    answered = true;
  });
  answer.catch(() => {}); // Awaited below; this only avoids an unhandled rejection.

  const source = openPacketSource({
    path,
    aesKey: options.aesKey,
    clientId,
    fileName,
    plan,
  });
  const report = (sent: number) =>
    options.onProgress?.({
      fileName,
      sent: Math.min(sent, plan.origFileSize),
      total: plan.origFileSize,
      attempt,
    });
  let packetNumber = 0;
  let sentCipher = 0;
  let checksum = 0;
  // Sends queue on the connection; the source lends few frames, so at most
  // those are queued, and a failed send stops the pass at the next frame.
  let sending: Promise<void> = Promise.resolve();
  let sendFailure: unknown;
  try {
    report(0);
    while (!answered && sendFailure === undefined) {
      const next = await source.next();
      if (next.done) {
        checksum = next.value!.checksum; // No digest only after close().
        break;
      }
      const frame = next.value;
      packetNumber++;
      // A throwing progress callback fails the pass like a failed send: only
      // the last of these promises is awaited, so none may reject.
      sending = client.sendBytes(frame).then(
        () => report(sentCipher += frame.length - FILE_PACKET_HEAD_SIZE),
      ).catch((error) => {
        sendFailure ??= error;
      }).finally(() => source.release(frame));
    }
    await sending;
    if (sendFailure !== undefined) throw sendFailure;
  } catch (error) {
    // A send that failed because the server hung up may have left a 1607
    // behind; one that failed because a bad answer closed the connection
    // reports that answer, not the closed connection it caused.
    let timer: number | undefined;
    const early = await Promise.race([
      answer.then(
        (response) => ({ response }),
        (failure: unknown) => ({ failure }),
      ),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, 100);
      }),
    ]);
    clearTimeout(timer);
    if (
      early && "response" in early &&
      early.response.code === ResponseCode.SERVER_ERROR
    ) {
      return { response: early.response, checksum };
    }
    client.close();
    if (error === sendFailure && early && "failure" in early) {
      throw early.failure;
    }
    throw error;
  } finally {
    await source.close();
  }
  if (!answered && packetNumber !== plan.totalPackets) {
    client.close();
    throw new Error(
      `Cannot upload ${fileName}: sent ${packetNumber} of ${plan.totalPackets} packets`,
    );
  }
  armed = true;
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
  return { response, checksum };
}
