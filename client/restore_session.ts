/**
 * The client's side of the restore extension (docs/protocol.md, "Restore
 * extension"): reconnect with `me.info` (never register: a restore has
 * nothing to restore for a new client), prove the session key (1100), then
 * list (1101) and fetch (1102) streams of sealed frames.
 * @module
 */
import { decryptKey } from "../server/crypto/rsa_oaep.ts";
import { keyProofTag } from "../server/crypto/restore_keys.ts";
import { StreamOpener } from "../server/crypto/sealed_stream.ts";
import {
  RequestCode,
  ResponseCode,
  RestoreRequestCode,
  RestoreResponseCode,
  RestoreSize,
  Size,
} from "../server/protocol/constants.ts";
import {
  decodeFetchMeta,
  decodeRestoreResponse,
  decodeVersionRecords,
  encodeRestoreRequest,
  type FetchMeta,
  type FetchRequest,
  maxRestorePayload,
  type RestoreRequest,
  type VersionRecord,
} from "../server/protocol/restore_codec.ts";
import { toHex } from "../shared/encoding.ts";
import type { MeInfo } from "./me_info.ts";
import {
  BadResponseError,
  type ConnectionOptions,
  ProtocolClient,
  ServerError,
} from "./protocol_client.ts";
import { FatalError, requireSameId, unexpected } from "./session.ts";

/** What the administrator can do for a user whose key is gone. */
export const REKEY_HINT =
  'the administrator can re-key this client from the portal (client page, "Re-key"); you then register again under the same name and restore with the new me.info';

/** A 2103 answer: what was asked for is not there. */
export class RestoreRefusedError extends Error {
  readonly reason: number;
  constructor(reason: number, message: string) {
    super(message);
    this.name = "RestoreRefusedError";
    this.reason = reason;
  }
}

/** A connection whose session key is proven, ready to list and fetch. */
export class RestoreSession {
  readonly client: ProtocolClient;
  readonly clientId: Uint8Array;
  readonly #aesKey: Uint8Array;

  private constructor(
    client: ProtocolClient,
    clientId: Uint8Array,
    aesKey: Uint8Array,
  ) {
    this.client = client;
    this.clientId = clientId;
    this.#aesKey = aesKey;
  }

  /**
   * Connects, reconnects as `me` (1027 → 1605), decrypts the session key
   * and proves it (1100 → 2100). A refused reconnect or an undecryptable
   * key is a FatalError that says what the user can do.
   */
  static async open(
    options: {
      host: string;
      port: number;
      me: MeInfo;
      oaepHash: "sha1" | "sha256";
      connection?: ConnectionOptions;
    },
  ): Promise<RestoreSession> {
    const { me } = options;
    const client = await ProtocolClient.connect(
      options.host,
      options.port,
      options.connection,
    );
    try {
      const response = await client.request({
        code: RequestCode.RECONNECT,
        clientId: me.clientId,
        name: me.name,
      });
      if (response.code === ResponseCode.RECONNECT_REJECTED) {
        throw new FatalError(
          `Cannot restore: the server does not know ${me.name} (${
            toHex(me.clientId)
          }) with a key on file (1606); if this me.info is old or the client was re-keyed, ${REKEY_HINT}`,
        );
      }
      if (response.code !== ResponseCode.RECONNECT_OK) {
        throw unexpected(response, "1605 or 1606", "reconnect");
      }
      let aesKey: Uint8Array;
      try {
        aesKey = decryptKey(me.privateKey, response.encryptedKey, {
          hash: options.oaepHash,
        });
      } catch (error) {
        throw new FatalError(
          `Cannot restore: the key in me.info does not open the server's session key (is this the me.info of ${me.name}, or does the server use another --oaep-hash?); ${REKEY_HINT}`,
          { cause: error },
        );
      }
      if (aesKey.length !== Size.AES_KEY) {
        throw new BadResponseError(
          `Cannot use the session key: ${aesKey.length} bytes`,
        );
      }
      const session = new RestoreSession(client, me.clientId, aesKey);
      await session.#prove();
      return session;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  async #prove(): Promise<void> {
    const head = await this.#request({
      code: RestoreRequestCode.PROVE_KEY,
      clientId: this.clientId,
      proof: keyProofTag(this.#aesKey, this.clientId),
    });
    if (head.code !== RestoreResponseCode.KEY_PROVEN) {
      throw new FatalError(
        `Cannot restore: the server did not accept the key proof (${head.code}); does it support restore?`,
      );
    }
  }

  async #request(request: RestoreRequest) {
    await this.client.sendBytes(encodeRestoreRequest(request));
    const { code, payload } = await this.client.receiveFrame(
      maxRestorePayload,
    );
    let head;
    try {
      head = decodeRestoreResponse(code, payload);
    } catch (error) {
      throw new BadResponseError((error as Error).message, { cause: error });
    }
    if (head.code === ResponseCode.SERVER_ERROR) {
      throw new ServerError(`Server refused request ${request.code} (1607)`);
    }
    if (head.code === RestoreResponseCode.REFUSED) {
      throw new RestoreRefusedError(head.reason, head.message);
    }
    if (head.code !== RestoreResponseCode.KEY_PROVEN) {
      requireSameId(head.clientId, this.clientId, head.code);
    }
    return head;
  }

  /** Opens a stream: sends `request`, expects 2101, returns its frame opener. */
  async #stream(request: RestoreRequest): Promise<StreamOpener> {
    const head = await this.#request(request);
    if (head.code !== RestoreResponseCode.STREAM_BEGIN) {
      throw new BadResponseError(
        `Cannot restore: expected 2101, got ${head.code}`,
      );
    }
    return new StreamOpener({ aesKey: this.#aesKey, salt: head.salt, request });
  }

  /** The next frame of a stream, opened; 1607 in its place is a ServerError. */
  async #frame(opener: StreamOpener, out?: Uint8Array) {
    const { code, payload } = await this.client.receiveFrame(maxRestorePayload);
    if (code === ResponseCode.SERVER_ERROR) {
      throw new ServerError(
        "Server could not finish the restore stream (1607)",
      );
    }
    if (code !== RestoreResponseCode.SEALED) {
      throw new BadResponseError(
        `Cannot read restore stream: expected 2102, got ${code}`,
      );
    }
    return opener.open(payload, out);
  }

  /** Every kept version of every name, by name then number. */
  async list(): Promise<VersionRecord[]> {
    const opener = await this.#stream({
      code: RestoreRequestCode.LIST,
      clientId: this.clientId,
    });
    const records: VersionRecord[] = [];
    while (!opener.ended) {
      records.push(...decodeVersionRecords((await this.#frame(opener)).plain));
    }
    return records;
  }

  /**
   * Fetches one version from `offset`: calls `onMeta` with frame 0, then
   * `onData` with each piece of plaintext in order, awaiting each call
   * before the next. A piece stays valid until the call after next returns,
   * so `onData` may leave its last piece's write running while it returns.
   * Resolves once the final frame verified.
   */
  async fetch(
    request: Omit<FetchRequest, "code" | "clientId">,
    handlers: {
      onMeta(meta: FetchMeta): Promise<void> | void;
      onData(bytes: Uint8Array): Promise<void>;
    },
  ): Promise<void> {
    const opener = await this.#stream({
      code: RestoreRequestCode.FETCH,
      clientId: this.clientId,
      ...request,
    });
    const meta = decodeFetchMeta((await this.#frame(opener)).plain);
    if (meta.offset !== request.offset) {
      throw new BadResponseError(
        `Cannot restore: the server sent data from byte ${meta.offset}, not ${request.offset}`,
      );
    }
    await handlers.onMeta(meta);
    // Two buffers in turn: `onData` may still be writing the last piece
    // while the next frame is received and decrypted.
    const buffers = [0, 1].map(() =>
      new Uint8Array(RestoreSize.CONTENT_PER_FRAME)
    );
    let turn = 0;
    let received = meta.offset;
    while (!opener.ended) {
      const { plain } = await this.#frame(opener, buffers[turn]);
      turn = 1 - turn;
      received += plain.length;
      if (received > meta.size) {
        throw new BadResponseError(
          "Cannot restore: the server sent more bytes than the file has",
        );
      }
      await handlers.onData(plain);
    }
    if (received !== meta.size) {
      throw new BadResponseError(
        `Cannot restore: the stream ended after ${received} of ${meta.size} bytes`,
      );
    }
  }

  /** Closes the connection. */
  close(): void {
    this.client.close();
  }
}
