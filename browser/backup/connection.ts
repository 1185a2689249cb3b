/**
 * A keyed session with the server for one identity: register (1025 + 1026)
 * or reconnect (1027), keep the token and the AES key, and reconnect when
 * the server has forgotten the session (10 minutes idle).
 * @module
 */
import { ApiClientError, type BackupApiClient, type History } from "./api.ts";
import { importAesKey } from "./cbc.ts";
import {
  decryptSessionKey,
  generateKeyPair,
  importPrivateKey,
  keyProof,
} from "./keys.ts";
import { toBase64 } from "../../shared/encoding.ts";
import type { Identity } from "./me_info.ts";
import {
  fetchVersion,
  listVersions,
  restoreProof,
  type RestoreSink,
  type VersionRecord,
} from "./restore.ts";

/** A session that may upload. */
export interface KeyedSession {
  token: string;
  aesKey: CryptoKey;
  /** The raw AES key, for the history proof. */
  rawKey: Uint8Array<ArrayBuffer>;
}

/** One identity's connection to the server. */
export class Connection {
  readonly api: BackupApiClient;
  readonly identity: Identity;
  readonly hash: string;
  #privateKey: CryptoKey | undefined;
  #session: KeyedSession | undefined;
  /** The token whose session proved its key for restore (1100). */
  #proven: string | undefined;

  constructor(
    api: BackupApiClient,
    options: { identity: Identity; hash: string; session?: KeyedSession },
  ) {
    this.api = api;
    this.identity = options.identity;
    this.hash = options.hash;
    this.#session = options.session;
  }

  /**
   * Registers `name` with a key pair made here. `saved` runs right after the
   * server gave the client id (1600), before the key exchange, as the
   * protocol says `me.info` must be written.
   */
  static async register(
    api: BackupApiClient,
    options: {
      name: string;
      hash: string;
      saved: (identity: Identity) => Promise<void>;
    },
  ): Promise<Connection> {
    const keys = await generateKeyPair(options.hash);
    const registered = await api.register(options.name);
    const identity: Identity = {
      name: options.name,
      clientId: registered.clientId,
      privateKey: keys.privateKey,
    };
    await options.saved(identity);
    const connection = new Connection(api, { identity, hash: options.hash });
    const keyed = await api.sendPublicKey(
      registered.token,
      toBase64(keys.publicKey),
    );
    connection.#session = await connection.#unwrap(
      registered.token,
      keyed.encryptedKey,
    );
    return connection;
  }

  /** The live session, reconnecting when there is none. */
  async open(): Promise<KeyedSession> {
    if (this.#session) return this.#session;
    const answer = await this.api.reconnect(
      this.identity.name,
      this.identity.clientId,
    );
    this.#session = await this.#unwrap(answer.token, answer.encryptedKey);
    return this.#session;
  }

  /** Forgets the session after the server said it expired. */
  invalidate(): void {
    this.#session = undefined;
  }

  /** The identity's stored files and uploads. */
  history(): Promise<History> {
    return this.#retryExpired(async () => {
      const session = await this.open();
      const proof = await keyProof(session.rawKey, session.token);
      return await this.api.history(session.token, proof);
    });
  }

  /** Every kept version of this identity's files (restore list, 1101). */
  versions(): Promise<VersionRecord[]> {
    return this.#retryExpired(async () => {
      const session = await this.#restoreSession();
      return await listVersions(this.api, session, this.identity.clientId);
    });
  }

  /**
   * Runs `act`, which opens the session it needs, and runs it once more on
   * a new session when the server has forgotten the first (401): it does
   * after 10 minutes idle. A second 401 is the caller's.
   */
  async #retryExpired<T>(act: () => Promise<T>): Promise<T> {
    try {
      return await act();
    } catch (error) {
      if (!isExpired(error)) throw error;
      this.invalidate();
      return await act();
    }
  }

  /** Restores one version into `sink` (restore fetch, 1102), verified. */
  async restore(
    target: { fileName: string; number: number },
    sink: RestoreSink,
    onProgress?: (done: number, size: number) => void,
  ) {
    const session = await this.#restoreSession().catch(async (error) => {
      await sink.abort(String(error));
      throw error;
    });
    return await fetchVersion(
      this.api,
      session,
      { ...target, clientIdHex: this.identity.clientId },
      sink,
      onProgress,
    );
  }

  /** The live session, its key proven for restore once. */
  async #restoreSession(): Promise<KeyedSession> {
    const session = await this.open();
    if (this.#proven !== session.token) {
      const proof = await restoreProof(session.rawKey, this.identity.clientId);
      await this.api.proof(session.token, proof);
      this.#proven = session.token;
    }
    return session;
  }

  /** Ends the session on the server. */
  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session) await this.api.close(session.token).catch(() => {});
  }

  async #unwrap(token: string, encryptedKey: string): Promise<KeyedSession> {
    this.#privateKey ??= await importPrivateKey(
      this.identity.privateKey,
      this.hash,
    );
    const rawKey = await decryptSessionKey(this.#privateKey, encryptedKey);
    return { token, rawKey, aesKey: await importAesKey(rawKey) };
  }
}

/** True for the answer to a token the server no longer knows. */
export function isExpired(error: unknown): boolean {
  return error instanceof ApiClientError && error.status === 401;
}
