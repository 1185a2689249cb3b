/**
 * Getting a keyed session with the server: reconnect with `me.info` (1027),
 * or register (1025), save `me.info` and exchange keys (1026). One step per
 * message, so a retry resends exactly the message that failed.
 * @module
 */
import {
  decryptKey,
  generateKeyPair,
  publicKeyOf,
} from "../server/crypto/rsa_oaep.ts";
import {
  RequestCode,
  ResponseCode,
  Size,
} from "../server/protocol/constants.ts";
import type { Response } from "../server/protocol/messages.ts";
import { toHex } from "../shared/encoding.ts";
import {
  deleteMeInfo,
  hasKey,
  type MeInfo,
  readMeInfo,
  type RekeyInfo,
  writeMeInfo,
} from "./me_info.ts";
import type { BackupOutput } from "./progress.ts";
import {
  BadResponseError,
  ConnectionLostError,
  type ConnectionOptions,
  formatAddress,
  ProtocolClient,
  ServerError,
} from "./protocol_client.ts";

/** A failure no retry can fix; the run ends with this message. */
export class FatalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FatalError";
  }
}

/**
 * Throws BadResponseError when response `code` names another client than
 * the one that asked: an answer meant for someone else is never used.
 */
export function requireSameId(
  got: Uint8Array,
  expected: Uint8Array,
  code: number,
): void {
  if (toHex(got) !== toHex(expected)) {
    throw new BadResponseError(
      `Cannot trust response ${code}: it names client ${toHex(got)}, not ${
        toHex(expected)
      }`,
    );
  }
}

/**
 * The error for an answer other than `expected`: 1607 is a ServerError
 * (worth a retry); anything else breaks the protocol.
 */
export function unexpected(
  response: Response,
  expected: string,
  action: string,
): Error {
  if (response.code === ResponseCode.SERVER_ERROR) {
    return new ServerError(`Server refused the ${action} (1607)`);
  }
  return new BadResponseError(
    `Cannot complete the ${action}: expected ${expected}, got ${response.code}`,
  );
}

/** A connection on which files can be uploaded. */
export interface KeyedSession {
  client: ProtocolClient;
  clientId: Uint8Array;
  name: string;
  aesKey: Uint8Array;
}

/** What a session needs to know. */
export interface SessionOptions {
  host: string;
  port: number;
  /** User name from `transfer.info`, used when registering. */
  name: string;
  meInfoPath: string;
  oaepHash: "sha1" | "sha256";
  /**
   * Size of the 1026 key field when registering: 160 (exponent 17, the
   * default) or 162 (exponent 65537).
   */
  keyField?: KeyField;
  out: BackupOutput;
  connection?: ConnectionOptions;
}

/** Sizes of the 1026 key field the client can send. */
export type KeyField = 160 | 162;

/**
 * Keeps one keyed session alive across retries. `open()` may be called
 * again after any failure: it reuses a live connection, reconnects a dead
 * one, and resumes where the failed step left off.
 */
export class SessionKeeper {
  #options: SessionOptions;
  #client: ProtocolClient | undefined;
  #session: KeyedSession | undefined;
  /** Registered in this run, but the key exchange has not succeeded yet. */
  #registered: MeInfo | undefined;
  #warnedName = false;
  /** Closed for good: no new connection is opened. */
  #ended = false;

  constructor(options: SessionOptions) {
    this.#options = options;
  }

  /** The current session, opening (or reopening) one when needed. */
  async open(): Promise<KeyedSession> {
    if (this.#session && !this.#session.client.closed) return this.#session;
    this.#session = undefined;
    let fresh = false;
    if (!this.#client || this.#client.closed) {
      const { host, port, connection } = this.#options;
      this.#throwIfEnded();
      this.#client = await ProtocolClient.connect(host, port, connection);
      fresh = true;
      // close() may have come while connecting.
      if (this.#ended) this.#client.close();
      this.#throwIfEnded();
    }
    const client = this.#client;
    const registered = this.#registered;
    if (registered) {
      // Registered in this run, key exchange unfinished. The same connection
      // may retry 1026; a new one cannot (the server takes keys only from the
      // session that registered), so it asks whether the key got stored and
      // otherwise registers again: the server frees an abandoned name.
      if (!fresh) return await this.#exchangeKeys(client, registered);
      const session = await this.#reconnect(client, registered, {
        resuming: true,
      });
      if (session) return session;
      this.#registered = undefined;
      await deleteMeInfo(this.#options.meInfoPath);
      // Under the id it was given: the server hands a client without a
      // key its own id back (docs/protocol.md, "Flow", 1).
      return await this.#register(client, registered);
    }
    const me = await readMeInfo(this.#options.meInfoPath, {
      allowNoKey: true,
    });
    if (me && !hasKey(me)) return await this.#register(client, me);
    if (me) {
      const session = await this.#reconnect(client, me);
      if (session) return session;
    }
    return await this.#register(client);
  }

  /** Closes the connection for good; a pending request fails at once. */
  close(): void {
    this.#ended = true;
    this.#client?.close();
    this.#session = undefined;
  }

  #throwIfEnded(): void {
    if (this.#ended) {
      throw new ConnectionLostError("Cannot connect: the session was closed");
    }
  }

  async #reconnect(
    client: ProtocolClient,
    me: MeInfo,
    options: { resuming?: boolean } = {},
  ): Promise<KeyedSession | undefined> {
    const { out } = this.#options;
    if (
      !options.resuming && me.name !== this.#options.name && !this.#warnedName
    ) {
      this.#warnedName = true;
      out.warn(
        `me.info is for "${me.name}", transfer.info names "${this.#options.name}"; continuing as "${me.name}"`,
      );
    }
    const response = await client.request({
      code: RequestCode.RECONNECT,
      clientId: me.clientId,
      name: me.name,
    });
    switch (response.code) {
      case ResponseCode.RECONNECT_OK:
        requireSameId(response.clientId, me.clientId, 1605);
        this.#registered = undefined;
        out.info(`Reconnected as ${me.name} (${toHex(me.clientId)})`);
        return this.#keyed(client, me, response.encryptedKey);
      case ResponseCode.RECONNECT_REJECTED:
        if (options.resuming) return undefined;
        out.warn(
          `Server rejected the reconnect of ${me.name} (1606); deleting me.info and registering again`,
        );
        await deleteMeInfo(this.#options.meInfoPath);
        return undefined;
      default:
        throw unexpected(response, "1605 or 1606", "reconnect");
    }
  }

  /**
   * Registers (1025) and exchanges keys. `again` registers under a known
   * id: a client re-keyed by the administrator (a `me.info` of name and id
   * only), or one whose key exchange was cut off.
   */
  async #register(
    client: ProtocolClient,
    again?: RekeyInfo,
  ): Promise<KeyedSession> {
    const { out, meInfoPath } = this.#options;
    const name = again?.name ?? this.#options.name;
    const response = await client.request({
      code: RequestCode.REGISTER,
      clientId: again?.clientId ?? new Uint8Array(Size.CLIENT_ID),
      name,
    });
    if (response.code === ResponseCode.REGISTER_FAILED) {
      throw new FatalError(
        again
          ? `Cannot register "${name}" again under id ${
            toHex(again.clientId)
          } (1601): the server still holds a key for it, or the id is not this name's. Ask the administrator to re-key the client in the portal (client page, "Re-key"), then run again`
          : `Cannot register "${name}": name is already registered or refused by the server (1601). If the name is yours and you lost me.info, ask the administrator to re-key the client in the portal (client page, "Re-key"), write me.info with two lines, the name and the client id the portal shows, and run again`,
      );
    }
    if (response.code !== ResponseCode.REGISTER_OK) {
      throw unexpected(response, "1600 or 1601", "registration");
    }
    if (again && toHex(response.clientId) !== toHex(again.clientId)) {
      // The name was free: that client is gone, and this is a new one.
      out.warn(
        `The server registered "${name}" as a new client (${
          toHex(response.clientId)
        }), not as ${toHex(again.clientId)}: that client no longer exists`,
      );
    }
    const { privateKey } = generateKeyPair({
      publicExponent: this.#options.keyField === 162 ? 65537 : 17,
    });
    const me = { name, clientId: response.clientId, privateKey };
    await writeMeInfo(meInfoPath, me);
    this.#registered = me;
    out.info(
      again && toHex(response.clientId) === toHex(again.clientId)
        ? `Registered again as ${name} (${toHex(me.clientId)}) with a new key`
        : `Registered as ${name} (${toHex(me.clientId)})`,
    );
    return await this.#exchangeKeys(client, me);
  }

  async #exchangeKeys(
    client: ProtocolClient,
    me: MeInfo,
  ): Promise<KeyedSession> {
    const response = await client.request({
      code: RequestCode.SEND_PUBLIC_KEY,
      clientId: me.clientId,
      name: me.name,
      publicKey: publicKeyOf(me.privateKey),
    });
    if (response.code !== ResponseCode.AES_KEY) {
      throw unexpected(response, "1602", "key exchange");
    }
    requireSameId(response.clientId, me.clientId, 1602);
    const session = this.#keyed(client, me, response.encryptedKey);
    this.#registered = undefined;
    return session;
  }

  #keyed(
    client: ProtocolClient,
    me: MeInfo,
    encryptedKey: Uint8Array,
  ): KeyedSession {
    let aesKey: Uint8Array;
    try {
      aesKey = decryptKey(me.privateKey, encryptedKey, {
        hash: this.#options.oaepHash,
      });
    } catch (error) {
      client.close();
      throw new FatalError(
        `Cannot decrypt the session key with the key in me.info (OAEP ${this.#options.oaepHash}; does the server use another --oaep-hash?): ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    if (aesKey.length !== Size.AES_KEY) {
      client.close();
      throw new BadResponseError(
        `Cannot use the session key: ${aesKey.length} bytes, expected ${Size.AES_KEY}`,
      );
    }
    this.#session = { client, clientId: me.clientId, name: me.name, aesKey };
    return this.#session;
  }

  /** `host:port` of the server, for messages. */
  get address(): string {
    return formatAddress(this.#options.host, this.#options.port);
  }
}
