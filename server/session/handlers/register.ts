/** 1025 register: a new client under a name nobody holds yet. @module */
import { getLogger } from "@logtape/logtape";
import { ResponseCode, Size } from "../../protocol/constants.ts";
import type { RegisterRequest, Response } from "../../protocol/messages.ts";
import type { ClientRecord } from "../../storage/types.ts";
import { nowOf, type SessionContext } from "../context.ts";
import { checkUserName, MAX_WIRE_USER_NAME } from "../../protocol/names.ts";
import { sameBytes, toHex } from "../../../shared/encoding.ts";
import type { SessionState } from "../state.ts";

const logger = getLogger(["cyberbackup", "session"]);

/**
 * Whether a keyless client may be registered again under its id by whoever
 * sends its name and id (both travel in clear): one that never stored a
 * version (its key exchange was cut off), or one an administrator re-keyed
 * within the last REKEY_WINDOW_MS. Otherwise that pair would hand anyone
 * its whole history.
 */
function mayResume(ctx: SessionContext, client: ClientRecord): boolean {
  if (client.rekeyUntil !== null) return nowOf(ctx) <= client.rekeyUntil;
  return ctx.db.versions.usage(client.id).versions === 0;
}

/**
 * Creates the client with a fresh random id (1600), or answers 1601. A
 * client whose key exchange never happened may register again under the id
 * it was given (the classic client does so after 1606, carrying its old id
 * in the header; docs/protocol.md, "Dialects"): it gets that id back, so
 * the name is not locked for the abandoned-name grace period.
 */
export function register(
  state: SessionState,
  ctx: SessionContext,
  request: RegisterRequest,
): Response {
  const reason = checkUserName(request.name, MAX_WIRE_USER_NAME);
  if (reason) {
    logger.warn("Registration refused: {reason}", { reason });
    return { code: ResponseCode.REGISTER_FAILED };
  }
  const unfinished = ctx.db.clients.byName(request.name);
  const resumed = unfinished !== undefined && !unfinished.publicKey &&
    sameBytes(unfinished.id, request.clientId) &&
    mayResume(ctx, unfinished);
  const clientId = resumed
    ? unfinished.id
    : crypto.getRandomValues(new Uint8Array(Size.CLIENT_ID));
  if (!resumed && !ctx.db.clients.create(clientId, request.name, nowOf(ctx))) {
    logger.warn("Registration refused: name {name} is taken", {
      name: request.name,
    });
    return { code: ResponseCode.REGISTER_FAILED };
  }
  const hex = toHex(clientId);
  state.identity = { clientId, hex, name: request.name };
  state.registered = hex;
  state.aesKey = undefined;
  logger.info("Client {name} registered as {client}", {
    name: request.name,
    client: hex,
  });
  ctx.events({ type: "registered", client: hex, name: request.name });
  return { code: ResponseCode.REGISTER_OK, clientId };
}
