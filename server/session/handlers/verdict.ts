/** 1029 / 1030 / 1031: the client's verdict on the checksum. @module */
import { getLogger } from "@logtape/logtape";
import { RequestCode, ResponseCode } from "../../protocol/constants.ts";
import {
  type ChecksumVerdictRequest,
  ProtocolError,
  type Response,
} from "../../protocol/messages.ts";
import { nowOf, type SessionContext } from "../context.ts";
import { type Identity, requireKeyed, type SessionState } from "../state.ts";
import { endTransfer, type TransferEnd } from "../transfers.ts";
import type { ReceivedFile } from "../upload.ts";
import type { Placement } from "../../storage/content_store.ts";
import type { PendingFile } from "../../storage/file_store.ts";
import { dialectLabel } from "../dialect.ts";
import { checkQuota, QuotaError } from "../quota.ts";

const logger = getLogger(["cyberbackup", "session"]);

/**
 * 1029 makes the received file the stored, verified copy (1604). 1030
 * drops it and waits for the resend (no answer: the client sends the file
 * again right away). 1031 drops it for good (1604). The last verified copy
 * is replaced only on 1029.
 */
export async function checksumVerdict(
  state: SessionState,
  ctx: SessionContext,
  request: ChecksumVerdictRequest,
): Promise<Response | undefined> {
  const { identity } = requireKeyed(
    state,
    request.clientId,
    "accept checksum verdict",
  );
  const received = state.received;
  if (!received || received.fileName !== request.fileName) {
    throw new ProtocolError(
      `Cannot accept checksum verdict: no file "${request.fileName}" awaits one`,
    );
  }
  const ack = { code: ResponseCode.ACK, clientId: identity.clientId } as const;
  const log = { file: received.fileName, client: identity.hex };
  if (request.code === RequestCode.CRC_OK) {
    await storeVerified(state, ctx, { identity, received });
    logger.info("Stored verified {file} of {client}", log);
    return ack;
  }
  state.received = undefined;
  switch (request.code) {
    case RequestCode.CRC_RETRY:
      await received.pending.abort();
      logger.warn(
        "Checksum mismatch on {file} of {client}; awaiting resend",
        log,
      );
      return undefined;
    case RequestCode.CRC_ABORT:
      await received.pending.abort();
      endTransfer(state, ctx, {
        outcome: "failed",
        bytes: received.size,
        checksum: received.checksum,
        error: "checksum mismatch, client gave up",
      });
      logger.warn("Client {client} gave up on {file}; upload discarded", log);
      return ack;
  }
}

/**
 * Makes the received file the newest version of its name and records it in
 * one step (docs/history.md): inside one transaction the quota is checked
 * again, the content goes to the store (deduplicated when known), the
 * version, contents, files and transfers rows are written, and the file is
 * renamed over its name (a hard link to its object) last, undone when the
 * transaction fails, so a database that is locked, read-only or failing
 * leaves the old copy in place. A crash between the rename and the commit
 * is undone at the next start, from the paths noted on the transfer first.
 * When only the database failed, the file stays ready and the client's
 * retry of 1029 can still store it; an upload over quota is dropped.
 */
async function storeVerified(
  state: SessionState,
  ctx: SessionContext,
  options: { identity: Identity; received: ReceivedFile },
): Promise<void> {
  const { identity, received } = options;
  const { pending } = received;
  const result: TransferEnd = {
    outcome: "verified",
    bytes: received.size,
    checksum: received.checksum,
  };
  const transfer = state.transfer;
  const upload = {
    clientId: identity.clientId,
    fileName: received.fileName,
    size: received.size,
  };
  let placement: Placement | undefined;
  try {
    await pending.prepare();
    if (transfer) ctx.db.transfers.noteCommit(transfer.id, pending);
    const now = nowOf(ctx);
    ctx.db.transaction(() => {
      checkQuota(ctx.db, upload);
      const known = ctx.db.versions.hasContent(received.blake3);
      placement = ctx.store.objects.place(
        pending.tempPath,
        received.blake3,
        known,
      );
      ctx.db.versions.add({
        ...upload,
        checksum: received.checksum,
        blake3: received.blake3,
        transport: ctx.transport,
        dialect: dialectLabel(received.dialect),
        transferId: transfer?.id,
        pathName: pending.finalPath,
      }, now);
      if (transfer) ctx.db.transfers.finish(transfer.id, result, now);
      pending.publish(); // last: when it fails, the rows roll back
    });
  } catch (error) {
    if (placement) await ctx.store.objects.discard(placement);
    // The commit itself failed (an I/O error writing the log): the rows
    // rolled back, so the previous copy goes back in place too.
    if (pending.state === "published") takeBack(pending);
    if (pending.state !== "prepared" || error instanceof QuotaError) {
      // The file is gone (a write or the rename failed) or may not be
      // stored: nothing to retry.
      await pending.abort();
      state.received = undefined;
      endTransfer(state, ctx, {
        outcome: "aborted",
        bytes: received.size,
        checksum: received.checksum,
        error: (error as Error).message,
      });
    }
    throw error;
  }
  state.received = undefined;
  endTransfer(state, ctx, result, { recorded: true });
  await pending.finalize();
  // Freeing a deduplicated upload's own bytes takes a while for a large
  // file (the kernel drops its pages): the client need not wait for it.
  void ctx.store.objects.discard(placement!);
  if (placement!.deduplicated) {
    logger.info("Content of {file} of {client} was already stored", {
      file: received.fileName,
      client: identity.hex,
    });
  }
}

function takeBack(pending: PendingFile): void {
  try {
    pending.unpublish();
  } catch (error) {
    logger.error(
      "Failed commit of {path} not cleanly undone: {message}",
      { path: pending.finalPath, message: (error as Error).message },
    );
  }
}
