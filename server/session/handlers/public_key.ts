/** 1026 send public key: store it and answer with a fresh AES key. @module */
import { getLogger } from "@logtape/logtape";
import { parsePublicKey } from "../../crypto/rsa_oaep.ts";
import { ResponseCode } from "../../protocol/constants.ts";
import { splitKeyField } from "../../protocol/key_field.ts";
import {
  ProtocolError,
  type PublicKeyRequest,
  type Response,
} from "../../protocol/messages.ts";
import type { SessionContext } from "../context.ts";
import { issueSessionKey } from "../session_key.ts";
import { sameBytes, toHex } from "../../../shared/encoding.ts";
import type { SessionState } from "../state.ts";

const logger = getLogger(["cyberbackup", "session"]);

/**
 * Checks that id and name belong together and that this session registered
 * or reconnected that client, finds the key in its 160- or 162-byte field
 * (docs/protocol.md, "Dialects"), stores it and answers 1602. A key on
 * file may only be replaced by the session that registered the client:
 * anyone who learnt an id and name (both travel in clear) can reconnect,
 * and could otherwise set the key of a client and take over its uploads.
 */
export function sendPublicKey(
  state: SessionState,
  ctx: SessionContext,
  request: PublicKeyRequest,
): Response {
  const client = ctx.db.clients.byId(request.clientId);
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
  if (client.publicKey && state.registered !== hex) {
    logger.error(
      "Security violation: replacement of the public key of client {client} from a session that did not register it",
      { client: hex },
    );
    throw new ProtocolError(
      `Cannot exchange keys: client ${hex} already has a public key; only the session that registered it may set one`,
    );
  }
  const { der, form } = splitKeyField(request.publicKey);
  try {
    parsePublicKey(der);
  } catch (error) {
    throw new ProtocolError(
      `Cannot exchange keys: ${(error as Error).message}`,
    );
  }
  // Only the key is stored (a copy, without junk): 1605 encrypts to it.
  const encryptedKey = issueSessionKey(state, ctx, {
    client,
    publicKey: der.slice(),
    newKey: true,
    keyField: form,
  });
  return { code: ResponseCode.AES_KEY, clientId: client.id, encryptedKey };
}
