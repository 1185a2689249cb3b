/**
 * Defence against forged uploads. The protocol has no MAC and lets anyone
 * who knows a client's id and name (both travel in clear) reconnect as that
 * client; such a session gets a key it cannot decrypt, but random
 * ciphertext still passes the PKCS#7 padding check about once in 256 tries
 * and 1029 would then replace the client's verified copy with garbage. A
 * client holding the key never sends ciphertext that fails to decrypt, so:
 * the first failure ends the session's right to upload, and a client with
 * too many failures in a day gets no uploads at all until they age out.
 * See SECURITY.md.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { ProtocolError } from "../protocol/messages.ts";
import { nowOf, type SessionContext } from "./context.ts";
import type { Identity, SessionState } from "./state.ts";

const logger = getLogger(["cyberbackup", "session"]);

/** Uploads that may fail to decrypt per client within the window. */
export const KEY_FAILURE_LIMIT = 3;
/** The window over which failures count: one day. */
export const KEY_FAILURE_WINDOW_MS = 24 * 3600_000;

/** Ciphertext that did not decrypt under the session key (bad padding or size). */
export class UndecryptableError extends ProtocolError {
  constructor(message: string) {
    super(message);
    this.name = "UndecryptableError";
  }
}

/**
 * After an upload failed to decrypt: the session may upload no more, and
 * the failure counts against the client.
 */
export function distrustSession(
  state: SessionState,
  ctx: SessionContext,
  options: { identity: Identity; fileName: string },
): void {
  state.keyRejected = true;
  const { identity, fileName } = options;
  logger.error(
    "Security violation: upload of {file} for client {client} does not decrypt with the session key; the session may upload no more",
    { file: fileName, client: identity.hex, name: identity.name },
  );
  try {
    ctx.db.clients.recordKeyFailure(identity.clientId, nowOf(ctx));
  } catch (error) {
    logger.error("Cannot record key failure of {client}: {message}", {
      client: identity.hex,
      message: (error as Error).message,
    });
  }
}

/** Throws when the client has used up its decryption failures for now. */
export function checkKeyFailures(
  ctx: SessionContext,
  identity: Identity,
): void {
  const since = new Date(Date.parse(nowOf(ctx)) - KEY_FAILURE_WINDOW_MS);
  const failures = ctx.db.clients.keyFailuresSince(
    identity.clientId,
    since.toISOString(),
  );
  if (failures < KEY_FAILURE_LIMIT) return;
  logger.error(
    "Security violation: upload refused for client {client}: {failures} uploads failed to decrypt within 24 h",
    { client: identity.hex, name: identity.name, failures },
  );
  throw new ProtocolError(
    `Cannot accept file: ${failures} uploads of client ${identity.hex} failed to decrypt within 24 h; uploads are refused until they age out`,
  );
}
