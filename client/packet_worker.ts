/**
 * Worker for `workerFrames()` (packet_source.ts): runs `fileFrames()` over
 * one pass and posts each frame to the sender, which posts the buffer back
 * once it is on the wire. Encryption, the client's heaviest work, thus runs
 * on another core than the socket.
 * @module
 */
/// <reference lib="deno.worker" />
import {
  FileError,
  fileFrames,
  FRAME_COUNT,
  FramePool,
  frameSize,
} from "./packet_frames.ts";
import type { FromPacketWorker, ToPacketWorker } from "./packet_source.ts";

let pool: FramePool | undefined;

function post(message: FromPacketWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

self.onmessage = async ({ data }: MessageEvent<ToPacketWorker>) => {
  if (data.type === "release") {
    pool?.release(new Uint8Array(data.buffer));
    return;
  }
  pool = new FramePool(FRAME_COUNT, frameSize(data.spec.plan));
  try {
    const frames = fileFrames(data.spec, pool);
    for (;;) {
      const { done, value } = await frames.next();
      if (done) return post({ type: "done", digest: value });
      post(
        {
          type: "frame",
          buffer: value.buffer as ArrayBuffer,
          length: value.length,
        },
        [value.buffer as ArrayBuffer],
      );
    }
  } catch (error) {
    post({
      type: "failed",
      message: (error as Error).message,
      fileError: error instanceof FileError,
    });
  }
};
