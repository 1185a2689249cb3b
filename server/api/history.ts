/**
 * A client's own uploads: its stored files and its recent transfers. A
 * reconnect needs only a name and an id, which travel in clear, so the list
 * is given only to a session that proves it holds the session AES key:
 * `X-Key-Proof` is base64url(HMAC-SHA256(key = AES key, message = token)).
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import type { SessionContext } from "../session/context.ts";
import { ApiError } from "./errors.ts";
import type { ApiSession } from "./sessions.ts";

/** A stored file of the client. */
export interface HistoryFile {
  fileName: string;
  size: number | null;
  checksum: number | null;
  verified: boolean;
  storedAt: string | null;
}

/** One upload of the client, newest first. */
export interface HistoryTransfer {
  fileName: string;
  transport: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: string;
  /** Size of the ciphertext. */
  size: number | null;
  attempts: number;
  error: string | null;
}

/** What `GET /api/v1/files` answers. */
export interface History {
  clientId: string;
  name: string;
  files: HistoryFile[];
  transfers: HistoryTransfer[];
}

/** The proof a session with `aesKey` and `token` sends. */
export function keyProof(aesKey: Uint8Array, token: string): string {
  return createHmac("sha256", aesKey).update(token).digest("base64url");
}

/** Throws 409 / 403 unless `proof` shows the caller holds the session key. */
export function checkKeyProof(
  session: ApiSession,
  proof: string | undefined,
): void {
  const { aesKey } = session.core.view;
  if (!aesKey) {
    throw new ApiError(
      "no_key",
      "Cannot list files: exchange keys or reconnect first",
    );
  }
  const expected = Buffer.from(keyProof(aesKey, session.token));
  const given = Buffer.from(proof ?? "");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError(
      "proof_invalid",
      "Cannot list files: X-Key-Proof must be base64url(HMAC-SHA256(session AES key, token))",
    );
  }
}

/** The session client's files (up to 200) and latest transfers (up to 50). */
export function historyOf(session: ApiSession, ctx: SessionContext): History {
  const identity = session.identity;
  const files = ctx.db.files.list({
    client: identity.clientId,
    sort: "stored",
    dir: "desc",
    pageSize: 200,
  }).rows.map((row): HistoryFile => ({
    fileName: row.fileName,
    size: row.size,
    checksum: row.checksum,
    verified: row.verified,
    storedAt: row.storedAt,
  }));
  const transfers = ctx.db.transfers.list({
    client: identity.clientId,
    pageSize: 50,
  }).rows.map((row): HistoryTransfer => ({
    fileName: row.fileName,
    transport: row.transport,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    outcome: row.outcome,
    size: row.size,
    attempts: row.attempts,
    error: row.error,
  }));
  return { clientId: identity.hex, name: identity.name, files, transfers };
}
