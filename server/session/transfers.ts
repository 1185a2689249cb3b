/**
 * Bookkeeping of the transfers table and transfer events around an upload.
 * @module
 */
import type { EndedOutcome } from "../stats/events.ts";
import { nowOf, type SessionContext } from "./context.ts";
import type { Identity, SessionState } from "./state.ts";

/**
 * Records the start of an upload attempt: a new transfers row for a new
 * file, or the next attempt of the current one (a resend after 1030).
 */
export function beginAttempt(
  state: SessionState,
  ctx: SessionContext,
  upload: { identity: Identity; fileName: string; size: number },
): void {
  const current = state.transfer;
  if (current && current.fileName === upload.fileName) {
    current.attempt++;
    ctx.db.transfers.retry(current.id);
  } else {
    if (current) endTransfer(state, ctx, { outcome: "aborted", bytes: 0 });
    const id = ctx.db.transfers.start({
      clientId: upload.identity.clientId,
      fileName: upload.fileName,
      transport: ctx.transport,
      size: upload.size,
      attempt: 1,
    }, nowOf(ctx));
    state.transfer = { id, fileName: upload.fileName, attempt: 1 };
  }
  ctx.events({
    type: "transfer-start",
    transfer: String(state.transfer!.id),
    client: upload.identity.hex,
    name: upload.identity.name,
    file: upload.fileName,
    total: upload.size,
    attempt: state.transfer!.attempt,
  });
}

/** How a transfer ended. */
export interface TransferEnd {
  outcome: EndedOutcome;
  bytes: number;
  checksum?: number;
  error?: string;
}

/**
 * Closes the current transfers row with its outcome and reports it.
 * `recorded`: the row was already closed inside a caller's transaction.
 */
export function endTransfer(
  state: SessionState,
  ctx: SessionContext,
  result: TransferEnd,
  options: { recorded?: boolean } = {},
): void {
  const transfer = state.transfer;
  if (!transfer) return;
  state.transfer = undefined;
  if (!options.recorded) {
    ctx.db.transfers.finish(transfer.id, result, nowOf(ctx));
  }
  ctx.events({
    type: "transfer-end",
    transfer: String(transfer.id),
    client: state.identity?.hex ?? "",
    file: transfer.fileName,
    outcome: result.outcome,
    bytes: result.bytes,
  });
}
