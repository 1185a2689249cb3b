/**
 * `sendFile()` against a raw socket that answers at chosen packets: what
 * one pass does when the answer comes early or the caller's progress
 * callback fails, on both packet sources (this thread and the worker).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { planPackets } from "../../server/protocol/packet_plan.ts";
import { WORKER_THRESHOLD_BYTES } from "../../client/packet_source.ts";
import {
  BadResponseError,
  ProtocolClient,
} from "../../client/protocol_client.ts";
import { sendFile, type UploadProgress } from "../../client/send_file.ts";
import { ExactReader, writeAll } from "../../server/io/exact_reader.ts";
import {
  decodeFilePacketHeader,
  decodeRequestHeader,
} from "../../server/protocol/codec.ts";
import { Size } from "../../server/protocol/constants.ts";
import { pattern } from "./helpers.ts";

const MiB = 1024 * 1024;
const SIZES = [
  ["here", 10 * MiB],
  ["in a worker", WORKER_THRESHOLD_BYTES + 8 * MiB],
] as const;

/** Called with each packet's number; may write an answer or pause reading. */
type OnPacket = (packetNumber: number, conn: Deno.Conn) => Promise<void>;

/**
 * A `size`-byte file and a client connected to a server that reads 1028
 * packets and calls `onPacket` after each, until the client hangs up.
 */
async function withRawServer(
  size: number,
  onPacket: OnPacket,
  body: (client: ProtocolClient, path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "send_file_test_" });
  const path = join(dir, "data.bin");
  await Deno.writeFile(path, pattern(size));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    const reader = new ExactReader(conn.readable, { bufferSize: 2 * MiB });
    try {
      for (;;) {
        const head = await reader.read(Size.REQUEST_HEADER);
        if (!head) return;
        const payload = await reader.readRequired(
          decodeRequestHeader(head).payloadSize,
        );
        const fixed = decodeFilePacketHeader(
          payload.subarray(0, Size.FILE_PACKET_FIXED),
        );
        await onPacket(fixed.packetNumber, conn);
      }
    } catch {
      // The client hung up.
    } finally {
      try {
        conn.close();
      } catch { /* the reader closed it at the end of the stream */ }
    }
  })();
  const client = await ProtocolClient.connect(
    "127.0.0.1",
    (listener.addr as Deno.NetAddr).port,
  );
  try {
    await body(client, path);
  } finally {
    client.close();
    await serving;
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function options(
  client: ProtocolClient,
  size: number,
  onProgress?: (progress: UploadProgress) => void,
) {
  return {
    client,
    clientId: new Uint8Array(16),
    aesKey: new Uint8Array(32),
    fileName: "data.bin",
    plan: planPackets(size),
    attempt: 1,
    onProgress,
  };
}

const pause = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

for (const [where, size] of SIZES) {
  Deno.test(`sendFile() rejects with a failing progress callback's error instead of leaving it unhandled (${where})`, async () => {
    await withRawServer(size, () => pause(1), async (client, path) => {
      let reports = 0;
      const onProgress = () => {
        if (++reports === 3) throw new Error("progress display failed");
      };
      await assert.rejects(
        sendFile(path, options(client, size, onProgress)),
        /progress display failed/,
      );
    });
  });

  Deno.test(`sendFile() reports a malformed answer that arrives mid-upload as such, not as a lost connection (${where})`, async () => {
    // A response of protocol version 2 after packet 1; then the server
    // reads slowly, so packets are still queued when the client hangs up.
    const badVersion = new Uint8Array([2, 0x47, 0x06, 0, 0, 0, 0]);
    await withRawServer(size, async (packetNumber, conn) => {
      if (packetNumber === 1) await writeAll(conn, badVersion);
      await pause(20);
    }, async (client, path) => {
      await assert.rejects(
        sendFile(path, options(client, size)),
        (error: Error) => {
          assert.ok(error instanceof BadResponseError, String(error));
          assert.match(error.message, /server speaks version 2/);
          return true;
        },
      );
    });
  });
}
