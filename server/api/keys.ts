/**
 * The operations that get a session its key: register (1025), send public
 * key (1026) and reconnect (1027), each run by the session core and its
 * answer turned into JSON or an API error.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { RequestCode, ResponseCode, Size } from "../protocol/constants.ts";
import type { Response } from "../protocol/messages.ts";
import type { SessionContext } from "../session/context.ts";
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
export function serverFailure(session: ApiSession, action: string): ApiError {
  logger.error("API {action} failed in the session core: {message}", {
    action,
    message: session.lastError,
    conn: session.conn,
  });
  return new ApiError(
    "server_error",
    `Cannot ${action}: the server failed; the error is in its log`,
  );
}

/** The session core's AES key, kept in memory for the history proof. */
function rememberKey(session: ApiSession): void {
  session.aesKey = session.core.aesKey;
}

/** 1025: opens a session and registers `name` in it. */
export async function register(
  registry: SessionRegistry,
  input: { address: string; body: Record<string, unknown> },
): Promise<RegisterResult> {
  const name = parseUserName(input.body.name);
  const session = registry.open(input.address);
  let response: Response | undefined;
  try {
    response = await session.run(
      () =>
        session.core.handle({
          code: RequestCode.REGISTER,
          clientId: NO_CLIENT_ID,
          name,
        }),
      () => registry.now(),
    );
  } finally {
    if (response?.code !== ResponseCode.REGISTER_OK) {
      await registry.close(session, "registration failed");
    }
  }
  if (response?.code === ResponseCode.REGISTER_OK) {
    const hex = toHex(response.clientId);
    session.identity = { clientId: response.clientId, hex, name };
    return {
      clientId: hex,
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
  throw serverFailure(session, "register");
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
  const identity = session.identity!;
  const response = await session.run(
    () =>
      session.core.handle({
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
      `Cannot exchange keys: ${session.lastError}`,
    );
  }
  rememberKey(session);
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
  let response: Response | undefined;
  try {
    response = await session.run(
      () =>
        session.core.handle({ code: RequestCode.RECONNECT, clientId, name }),
      () => registry.now(),
    );
  } finally {
    if (response?.code !== ResponseCode.RECONNECT_OK) {
      await registry.close(session, "reconnect failed");
    }
  }
  if (response?.code === ResponseCode.RECONNECT_OK) {
    session.identity = { clientId, hex: toHex(clientId), name };
    rememberKey(session);
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
  throw serverFailure(session, "reconnect");
}
