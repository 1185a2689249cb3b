/** 1027 reconnect: a returning client gets a new AES key. @module */
import { getLogger } from "@logtape/logtape";
import { parsePublicKey } from "../../crypto/rsa_oaep.ts";
import { ResponseCode } from "../../protocol/constants.ts";
import type { ReconnectRequest, Response } from "../../protocol/messages.ts";
import type { SessionContext } from "../context.ts";
import { issueSessionKey } from "../session_key.ts";
import { sameBytes, toHex } from "../../../shared/encoding.ts";
import type { SessionState } from "../state.ts";

const logger = getLogger(["cyberbackup", "session"]);

/**
 * Answers 1605 with a new AES key encrypted to the stored public key when
 * the name and id are known together and a key is on file; 1606 otherwise.
 */
export function reconnect(
  state: SessionState,
  ctx: SessionContext,
  request: ReconnectRequest,
): Response {
  const client = ctx.db.clients.byName(request.name);
  const rejected = {
    code: ResponseCode.RECONNECT_REJECTED,
    clientId: request.clientId,
  } as const;
  if (!client || !sameBytes(client.id, request.clientId)) {
    logger.warn(
      "Reconnect rejected: {name} is not a known client with this id",
      {
        name: request.name,
      },
    );
    return rejected;
  }
  const hex = toHex(client.id);
  if (!client.publicKey) {
    logger.warn(
      "Reconnect rejected: client {client} has no public key on file",
      {
        client: hex,
      },
    );
    return rejected;
  }
  try {
    parsePublicKey(client.publicKey);
  } catch (error) {
    logger.error(
      "Reconnect rejected: stored key of {client} is unusable: {error}",
      { client: hex, error: (error as Error).message },
    );
    return rejected;
  }
  const encryptedKey = issueSessionKey(state, ctx, {
    client,
    publicKey: client.publicKey,
    newKey: false,
  });
  return { code: ResponseCode.RECONNECT_OK, clientId: client.id, encryptedKey };
}
