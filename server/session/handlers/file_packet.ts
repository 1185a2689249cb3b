/** 1028 send file packet: stream one packet of an upload. @module */
import { getLogger } from "@logtape/logtape";
import { encryptedSize } from "../../protocol/packet_plan.ts";
import { ResponseCode } from "../../protocol/constants.ts";
import {
  type FilePacketRequest,
  ProtocolError,
  type Response,
} from "../../protocol/messages.ts";
import { checkFileName } from "../../storage/file_name.ts";
import type { SessionContext } from "../context.ts";
import {
  checkKeyFailures,
  distrustSession,
  UndecryptableError,
} from "../key_failures.ts";
import { requireKeyed, type SessionState } from "../state.ts";
import { beginAttempt, endTransfer } from "../transfers.ts";
import { Upload } from "../upload.ts";

const logger = getLogger(["cyberbackup", "session"]);

/** Smallest interval between two progress events of one upload. */
const PROGRESS_INTERVAL_MS = 100;

function checkFirstPacket(
  ctx: SessionContext,
  packet: FilePacketRequest,
): void {
  const reason = checkFileName(packet.fileName);
  if (reason) {
    throw new ProtocolError(
      `Cannot accept file "${packet.fileName}": ${reason}`,
    );
  }
  if (packet.totalPackets < 1) {
    throw new ProtocolError("Cannot accept file: total packet count is 0");
  }
  if (packet.origFileSize > ctx.maxFileBytes) {
    throw new ProtocolError(
      `Cannot accept file: ${packet.origFileSize} bytes exceed the limit of ${ctx.maxFileBytes}`,
    );
  }
  if (packet.contentSize !== encryptedSize(packet.origFileSize)) {
    throw new ProtocolError(
      `Cannot accept file: content size ${packet.contentSize} does not fit a ${packet.origFileSize}-byte file`,
    );
  }
}

/**
 * Feeds a packet to the session's upload, starting one on packet 1.
 * Intermediate packets get no answer; the last one gets 1603 with the
 * checksum of the decrypted file, which then waits for the client's verdict.
 */
export async function receiveFilePacket(
  state: SessionState,
  ctx: SessionContext,
  packet: FilePacketRequest,
): Promise<Response | undefined> {
  const { identity, aesKey } = requireKeyed(
    state,
    packet.clientId,
    "accept file packet",
  );
  if (packet.packetNumber === 1) {
    if (state.upload && state.upload.header.fileName !== packet.fileName) {
      throw new ProtocolError(
        `Cannot accept file packet: "${state.upload.header.fileName}" is still being uploaded`,
      );
    }
    checkFirstPacket(ctx, packet);
    checkKeyFailures(ctx, identity);
    await state.upload?.abort();
    state.upload = undefined;
    // A packet 1 while a file waits for its verdict means the client moved on.
    await state.received?.pending.abort();
    state.received = undefined;
    beginAttempt(state, ctx, {
      identity,
      fileName: packet.fileName,
      size: packet.contentSize,
    });
    state.upload = await Upload.start(ctx.store, {
      clientId: identity.clientId,
      aesKey,
      header: packet,
    });
  } else if (!state.upload) {
    throw new ProtocolError(
      `Cannot accept file packet ${packet.packetNumber}: no upload was started with packet 1`,
    );
  }
  const upload = state.upload;
  const transfer = String(state.transfer!.id);
  let lastReport = 0;
  await upload.receive(packet, (bytes) => {
    const now = Date.now();
    if (now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    ctx.events({ type: "transfer-progress", transfer, bytes });
  });
  if (!upload.complete) return undefined;
  // Still in state while it finishes: if decryption fails, abandonUpload()
  // must find it to delete its temporary file (and close that file).
  let received;
  try {
    received = await upload.finish();
  } catch (error) {
    if (error instanceof UndecryptableError) {
      distrustSession(state, ctx, { identity, fileName: packet.fileName });
    }
    throw error;
  }
  state.upload = undefined;
  state.received = received;
  ctx.events({ type: "transfer-progress", transfer, bytes: upload.received });
  logger.info("Received {file} from {client}: {size} bytes, cksum {checksum}", {
    file: received.fileName,
    client: identity.hex,
    size: received.size,
    checksum: received.checksum,
  });
  return {
    code: ResponseCode.FILE_RECEIVED,
    clientId: identity.clientId,
    contentSize: received.size,
    fileName: received.fileName,
    checksum: received.checksum,
  };
}

/**
 * After a failed packet: drops the upload (and a file still waiting for its
 * verdict, whose transfer this closes), records the failure and makes
 * the session ignore the rest of that upload's packets, so the client gets
 * exactly one 1607 for it.
 */
export async function abandonUpload(
  state: SessionState,
  ctx: SessionContext,
  packet: FilePacketRequest,
  error: string,
): Promise<void> {
  const upload = state.upload;
  const waiting = state.received;
  state.upload = undefined;
  state.received = undefined;
  await upload?.abort();
  // A file waiting for its verdict belongs to the transfer closed below:
  // a later 1029 must not store it unrecorded (and beyond crash recovery).
  await waiting?.pending.abort();
  endTransfer(state, ctx, {
    outcome: "aborted",
    bytes: upload?.received ?? 0,
    error,
  });
  if (packet.packetNumber < packet.totalPackets) {
    state.discarding = {
      fileName: packet.fileName,
      totalPackets: packet.totalPackets,
    };
  }
}

/**
 * True when the packet belongs to an upload that already failed and must be
 * dropped silently; clears that mode on its last packet or on anything else.
 */
export function isDiscarded(
  state: SessionState,
  packet: FilePacketRequest,
): boolean {
  const d = state.discarding;
  if (!d) return false;
  if (
    packet.packetNumber > 1 && packet.fileName === d.fileName &&
    packet.totalPackets === d.totalPackets
  ) {
    if (packet.packetNumber >= d.totalPackets) state.discarding = undefined;
    return true;
  }
  state.discarding = undefined;
  return false;
}
