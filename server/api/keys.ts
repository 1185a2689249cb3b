/**
 * The operations that get a session its key: register (1025), send public
 * key (1026) and reconnect (1027), each run by the session core and its
 * answer turned into JSON or an API error.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { RequestCode, ResponseCode, Size } from "../protocol/constants.ts";
import type { SessionContext } from "../session/context.ts";
import type { Refusal, Served } from "../session/session.ts";
import { toBase64, toHex } from "../../shared/encoding.ts";
import { ApiError } from "./errors.ts";
import { parseClientId, parsePublicKeyField, parseUserName } from "./params.ts";
import type { ApiSession, SessionRegistry } from "./sessions.ts";

const logger = getLogger(["cyberbackup", "api"]);

const NO_CLIENT_ID = new Uint8Array(Size.CLIENT_ID);

/** Answer of register: the new client id and the session's token. */
export interface RegisterResult {
  clientId: string;
  token: string;
  expiresIn: number;
}

/** Answer of send-key and reconnect: the session AES key, encrypted to the client's key. */
export interface KeyResult {
  clientId: string;
  /** Base64 of the RSA-OAEP ciphertext of the 32-byte AES key. */
  encryptedKey: string;
  oaepHash: string;
}

/** The 500 for a 1607 that no input of the client explains. */
export function serverFailure(
  session: ApiSession,
  action: string,
  refusal: Refusal | undefined,
): ApiError {
  logger.error("API {action} failed in the session core: {message}", {
    action,
    message: refusal?.message,
    conn: session.conn,
  });
  return new ApiError(
    "server_error",
    `Cannot ${action}: the server failed; the error is in its log`,
  );
}

/** 1025: opens a session and registers `name` in it. */
export async function register(
  registry: SessionRegistry,
  input: { address: string; body: Record<string, unknown> },
): Promise<RegisterResult> {
  const name = parseUserName(input.body.name);
  const session = registry.open(input.address);
  let served: Served | undefined;
  try {
    served = await session.run(
      () =>
        session.core.serve({
          code: RequestCode.REGISTER,
          clientId: NO_CLIENT_ID,
          name,
        }),
      () => registry.now(),
    );
  } finally {
    if (served?.response?.code !== ResponseCode.REGISTER_OK) {
      await registry.close(session, "registration failed");
    }
  }
  const response = served.response;
  if (response?.code === ResponseCode.REGISTER_OK) {
    return {
      clientId: toHex(response.clientId),
      token: session.token,
      expiresIn: registry.idleMs / 1000,
    };
  }
  if (response?.code === ResponseCode.REGISTER_FAILED) {
    throw new ApiError(
      "name_taken",
      `Cannot register "${name}": the name is already registered`,
    );
  }
  throw serverFailure(session, "register", served.refusal);
}

/** 1026: stores the session's public key and answers with the AES key. */
export async function sendPublicKey(
  registry: SessionRegistry,
  input: {
    session: ApiSession;
    ctx: SessionContext;
    body: Record<string, unknown>;
  },
): Promise<KeyResult> {
  const { session, ctx } = input;
  const publicKey = parsePublicKeyField(input.body.publicKey);
  const identity = session.identity;
  const { response, refusal } = await session.run(
    () =>
      session.core.serve({
        code: RequestCode.SEND_PUBLIC_KEY,
        clientId: identity.clientId,
        name: identity.name,
        publicKey,
      }),
    () => registry.now(),
  );
  if (response?.code !== ResponseCode.AES_KEY) {
    throw new ApiError(
      "key_exchange_refused",
      `Cannot exchange keys: ${
        refusal?.message ?? "the server refused the request"
      }`,
    );
  }
  return {
    clientId: identity.hex,
    encryptedKey: toBase64(response.encryptedKey),
    oaepHash: ctx.oaepHash,
  };
}

/** 1027: opens a session for a returning client and answers with a new AES key. */
export async function reconnect(
  registry: SessionRegistry,
  input: {
    address: string;
    ctx: SessionContext;
    body: Record<string, unknown>;
  },
): Promise<KeyResult & { token: string; expiresIn: number }> {
  const name = parseUserName(input.body.name);
  const clientId = parseClientId(input.body.clientId);
  const session = registry.open(input.address);
  let served: Served | undefined;
  try {
    served = await session.run(
      () => session.core.serve({ code: RequestCode.RECONNECT, clientId, name }),
      () => registry.now(),
    );
  } finally {
    if (served?.response?.code !== ResponseCode.RECONNECT_OK) {
      await registry.close(session, "reconnect failed");
    }
  }
  const response = served.response;
  if (response?.code === ResponseCode.RECONNECT_OK) {
    return {
      clientId: toHex(clientId),
      encryptedKey: toBase64(response.encryptedKey),
      oaepHash: input.ctx.oaepHash,
      token: session.token,
      expiresIn: registry.idleMs / 1000,
    };
  }
  if (response?.code === ResponseCode.RECONNECT_REJECTED) {
    throw new ApiError(
      "reconnect_rejected",
      `Cannot reconnect "${name}": the server does not know this name with this client id, or holds no key for it; register again`,
    );
  }
  throw serverFailure(session, "reconnect", served.refusal);
}
