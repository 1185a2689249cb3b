/** 1028 send file packet: stream one packet of an upload. @module */
import { getLogger } from "@logtape/logtape";
import { ResponseCode } from "../../protocol/constants.ts";
import {
  type FilePacketRequest,
  ProtocolError,
  type Response,
} from "../../protocol/messages.ts";
import { checkFileName } from "../../storage/file_name.ts";
import type { SessionContext } from "../context.ts";
import {
  dialectLabel,
  DialectTracker,
  type UploadDialect,
} from "../dialect.ts";
import {
  checkKeyFailures,
  distrustSession,
  UndecryptableError,
} from "../key_failures.ts";
import { requireKeyed, type SessionState } from "../state.ts";
import { checkQuota } from "../quota.ts";
import { beginAttempt, endTransfer } from "../transfers.ts";
import { Upload } from "../upload.ts";

const logger = getLogger(["cyberbackup", "session"]);

/** Smallest interval between two progress events of one upload. */
const PROGRESS_INTERVAL_MS = 100;

/** Checks packet 1 and reads its dialect; throws ProtocolError when it fits none. */
function checkFirstPacket(
  ctx: SessionContext,
  packet: FilePacketRequest,
): DialectTracker {
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
  return new DialectTracker(packet);
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
    const dialect = checkFirstPacket(ctx, packet);
    checkKeyFailures(ctx, identity);
    await state.upload?.abort();
    state.upload = undefined;
    // A packet 1 while a file waits for its verdict means the client moved on.
    await state.received?.pending.abort();
    state.received = undefined;
    beginAttempt(state, ctx, {
      identity,
      fileName: packet.fileName,
      size: dialect.cipherSize,
    });
    // After the attempt is recorded, so that its transfer says why.
    checkQuota(ctx.db, {
      clientId: identity.clientId,
      fileName: packet.fileName,
      size: packet.origFileSize,
    });
    state.upload = await Upload.start(ctx.store, {
      clientId: identity.clientId,
      aesKey,
      header: packet,
      dialect,
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
  recordDialect(ctx, {
    clientId: identity.clientId,
    transferId: state.transfer?.id,
    dialect: received.dialect,
  });
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
 * Notes how the client sent a whole upload, in the database and as an
 * event. Bookkeeping: a database that cannot take it does not fail the
 * upload, which is recorded on its own when the verdict comes.
 */
function recordDialect(
  ctx: SessionContext,
  upload: { clientId: Uint8Array; transferId?: number; dialect: UploadDialect },
): void {
  const { ivPrefix, sizes } = upload.dialect;
  ctx.events({ type: "upload-received", ivPrefix, sizes });
  try {
    ctx.db.clients.recordUploadDialect(upload.clientId, {
      ivPrefix,
      sizes: sizes === "either" ? undefined : sizes,
      label: dialectLabel(upload.dialect),
    }, upload.transferId);
  } catch (error) {
    logger.warn("Cannot record upload dialect: {message}", {
      message: (error as Error).message,
    });
  }
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
