/** 1029 / 1030 / 1031: the client's verdict on the checksum. @module */
import { getLogger } from "@logtape/logtape";
import { RequestCode, ResponseCode } from "../../protocol/constants.ts";
import {
  type ChecksumVerdictRequest,
  ProtocolError,
  type Response,
} from "../../protocol/messages.ts";
import { nowOf, type SessionContext } from "../context.ts";
import { requireKeyed, type SessionState } from "../state.ts";
import { endTransfer } from "../transfers.ts";

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
  state.received = undefined;
  const ack = { code: ResponseCode.ACK, clientId: identity.clientId } as const;
  const log = { file: received.fileName, client: identity.hex };
  switch (request.code) {
    case RequestCode.CRC_OK: {
      const pathName = await received.pending.commit();
      ctx.db.recordVerifiedFile({
        clientId: identity.clientId,
        fileName: received.fileName,
        pathName,
        size: received.size,
        checksum: received.checksum,
      }, nowOf(ctx));
      endTransfer(state, ctx, {
        outcome: "verified",
        bytes: received.size,
        checksum: received.checksum,
      });
      logger.info("Stored verified {file} of {client}", log);
      return ack;
    }
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
