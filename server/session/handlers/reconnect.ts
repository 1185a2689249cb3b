/** 1027 reconnect: a returning client gets a new AES key. @module */
import { getLogger } from "@logtape/logtape";
import { encryptKey } from "../../crypto/rsa_oaep.ts";
import { ResponseCode, Size } from "../../protocol/constants.ts";
import type { ReconnectRequest, Response } from "../../protocol/messages.ts";
import { nowOf, type SessionContext } from "../context.ts";
import { sameBytes, type SessionState, toHex } from "../state.ts";

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
  const client = ctx.db.clientByName(request.name);
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
  const aesKey = crypto.getRandomValues(new Uint8Array(Size.AES_KEY));
  let encryptedKey: Uint8Array;
  try {
    encryptedKey = encryptKey(client.publicKey, aesKey, { hash: ctx.oaepHash });
  } catch (error) {
    logger.error(
      "Reconnect rejected: stored key of {client} is unusable: {error}",
      {
        client: hex,
        error: (error as Error).message,
      },
    );
    return rejected;
  }
  ctx.db.setKeys(client.id, { aesKey }, nowOf(ctx));
  state.identity = { clientId: client.id, hex, name: client.name };
  state.aesKey = aesKey;
  logger.info("Client {name} ({client}) reconnected", {
    name: client.name,
    client: hex,
  });
  ctx.events({
    type: "key-exchanged",
    client: hex,
    name: client.name,
    reconnect: true,
  });
  return { code: ResponseCode.RECONNECT_OK, clientId: client.id, encryptedKey };
}
