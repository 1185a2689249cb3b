/**
 * The step 1026 and 1027 share: a fresh AES key for the session, sent
 * encrypted to the client's public key.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { encryptKey } from "../crypto/rsa_oaep.ts";
import { Size } from "../protocol/constants.ts";
import type { KeyFieldForm } from "../protocol/key_field.ts";
import type { ClientRecord } from "../storage/types.ts";
import { nowOf, type SessionContext } from "./context.ts";
import { toHex } from "../../shared/encoding.ts";
import type { SessionState } from "./state.ts";

const logger = getLogger(["cyberbackup", "session"]);

/**
 * Makes a random 32-byte AES key, encrypts it to `publicKey` (RSA-OAEP with
 * the configured hash), stores it (and a new public key when given) and
 * makes it this session's key. Returns the encrypted key for 1602 / 1605.
 */
export function issueSessionKey(
  state: SessionState,
  ctx: SessionContext,
  options: {
    client: ClientRecord;
    publicKey: Uint8Array;
    newKey: boolean;
    /** The form of the 1026 key field the new key came in. */
    keyField?: KeyFieldForm;
  },
): Uint8Array {
  const { client, publicKey, newKey, keyField } = options;
  const aesKey = crypto.getRandomValues(new Uint8Array(Size.AES_KEY));
  const encryptedKey = encryptKey(publicKey, aesKey, { hash: ctx.oaepHash });
  ctx.db.clients.setKeys(
    client.id,
    newKey ? { publicKey, aesKey, keyField } : { aesKey },
    nowOf(ctx),
  );
  const hex = toHex(client.id);
  state.identity = { clientId: client.id, hex, name: client.name };
  state.aesKey = aesKey;
  logger.info(
    newKey
      ? "Keys exchanged with client {name} ({client})"
      : "Client {name} ({client}) reconnected",
    { name: client.name, client: hex },
  );
  ctx.events({
    type: "key-exchanged",
    client: hex,
    name: client.name,
    reconnect: !newKey,
  });
  return encryptedKey;
}
