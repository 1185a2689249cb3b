/** 1026 send public key: store it and answer with a fresh AES key. @module */
import { getLogger } from "@logtape/logtape";
import { encryptKey, parsePublicKey } from "../../crypto/rsa_oaep.ts";
import { ResponseCode, Size } from "../../protocol/constants.ts";
import {
  ProtocolError,
  type PublicKeyRequest,
  type Response,
} from "../../protocol/messages.ts";
import { nowOf, type SessionContext } from "../context.ts";
import { sameBytes, type SessionState, toHex } from "../state.ts";

const logger = getLogger(["cyberbackup", "session"]);

/**
 * Checks that id and name belong together and that this session registered
 * or reconnected that client, stores the key and answers 1602. Without the
 * second check anyone who learnt an id and name (both travel in clear) could
 * set the key of a client and take over its uploads.
 */
export function sendPublicKey(
  state: SessionState,
  ctx: SessionContext,
  request: PublicKeyRequest,
): Response {
  const client = ctx.db.clientById(request.clientId);
  if (!client || client.name !== request.name) {
    throw new ProtocolError(
      "Cannot exchange keys: client id and name do not belong together",
    );
  }
  const hex = toHex(client.id);
  const provenHere = state.identity !== undefined &&
    sameBytes(state.identity.clientId, client.id);
  if (!provenHere) {
    logger.error(
      "Security violation: key for client {client} sent from a session that did not register or reconnect it",
      { client: hex },
    );
    throw new ProtocolError(
      `Cannot exchange keys: this session has not registered or reconnected client ${hex}`,
    );
  }
  try {
    parsePublicKey(request.publicKey);
  } catch (error) {
    throw new ProtocolError(
      `Cannot exchange keys: ${(error as Error).message}`,
    );
  }
  const aesKey = crypto.getRandomValues(new Uint8Array(Size.AES_KEY));
  const encryptedKey = encryptKey(request.publicKey, aesKey, {
    hash: ctx.oaepHash,
  });
  ctx.db.setKeys(
    client.id,
    { publicKey: request.publicKey, aesKey },
    nowOf(ctx),
  );
  state.identity = { clientId: client.id, hex, name: client.name };
  state.aesKey = aesKey;
  logger.info("Keys exchanged with client {name} ({client})", {
    name: client.name,
    client: hex,
  });
  ctx.events({
    type: "key-exchanged",
    client: hex,
    name: client.name,
    reconnect: false,
  });
  return { code: ResponseCode.AES_KEY, clientId: client.id, encryptedKey };
}
