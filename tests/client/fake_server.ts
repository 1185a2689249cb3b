/**
 * A small in-memory protocol server for client tests: correct by default,
 * with a hook that makes it answer 1607, drop the connection, stay silent
 * or lie about checksums on chosen requests.
 * @module
 */
import { ExactReader, writeAll } from "../../server/io/exact_reader.ts";
import {
  decodeFilePacketHeader,
  decodeRequest,
  decodeRequestHeader,
  encodeResponse,
} from "../../server/protocol/codec.ts";
import {
  RequestCode,
  ResponseCode,
  Size,
} from "../../server/protocol/constants.ts";
import type {
  FilePacketHeader,
  Response,
} from "../../server/protocol/messages.ts";
import { decrypt } from "../../server/crypto/aes_cbc.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { encryptKey } from "../../server/crypto/rsa_oaep.ts";

/** A request as the fake saw it. */
export interface SeenRequest {
  /** 1-based number of the connection it came on. */
  connection: number;
  code: number;
  clientId: Uint8Array;
  name?: string;
  fileName?: string;
  packet?: FilePacketHeader & { contentLength: number };
}

/**
 * What to do instead of the normal answer: a response of our choice, close
 * the connection ("drop"), or say nothing ("silent"). Undefined: normal.
 */
export type Action = Response | "drop" | "silent" | undefined;

/** Options of the fake. */
export interface FakeOptions {
  /** Consulted before the normal handling of every request. */
  intercept?: (request: SeenRequest, fake: FakeServer) => Action;
  /** Rewrites a normal answer before it is sent (e.g. a wrong checksum). */
  mangle?: (response: Response, request: SeenRequest) => Response;
  oaepHash?: "sha1" | "sha256";
  /** Awaited after answering a request, before reading the next one. */
  afterResponse?: (request: SeenRequest) => Promise<void> | void;
  /** Awaited after handling a request, before its answer is sent. */
  beforeResponse?: (request: SeenRequest) => Promise<void> | void;
  /**
   * Speak as the framework's Python server: 1603 carries the encrypted size
   * and 1030 is answered with 1604.
   */
  pythonDialect?: boolean;
  /** The only 1026 key field size accepted (default: any). */
  keyField?: number;
}

interface Client {
  id: Uint8Array;
  name: string;
  publicKey?: Uint8Array;
}

interface ConnectionState {
  client?: Client;
  aesKey?: Uint8Array;
  upload?: { header: FilePacketHeader; chunks: Uint8Array[]; size: number };
  /** A file whose 1603 was sent and that awaits a verdict. */
  received?: { fileName: string; plain: Uint8Array };
  /** The rest of a failed upload is ignored, as the real server does. */
  discarding?: string;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The fake server, listening on 127.0.0.1 with a free port. */
export class FakeServer {
  readonly port: number;
  readonly requests: SeenRequest[] = [];
  /** Clients by name. */
  readonly clients = new Map<string, Client>();
  /** Verified files: `<client hex>/<file name>` to plaintext. */
  readonly stored = new Map<string, Uint8Array>();
  /** Plaintext of every completed upload attempt, in order. */
  readonly attempts: { fileName: string; plain: Uint8Array }[] = [];
  connections = 0;
  #listener: Deno.Listener;
  #options: FakeOptions;
  #open = new Set<Deno.Conn>();
  #served: Promise<void>[] = [];
  #accepting: Promise<void>;

  constructor(options: FakeOptions = {}) {
    this.#options = options;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#accept();
  }

  /** Creates a client as if it had registered and sent `publicKey`. */
  addClient(name: string, publicKey?: Uint8Array): Uint8Array {
    const id = crypto.getRandomValues(new Uint8Array(Size.CLIENT_ID));
    this.clients.set(name, { id, name, publicKey });
    return id;
  }

  /** Codes of the requests seen, in order. */
  codes(): number[] {
    return this.requests.map((r) => r.code);
  }

  async #accept(): Promise<void> {
    for await (const conn of this.#listener) {
      this.connections++;
      this.#open.add(conn);
      this.#served.push(this.#serve(conn, this.connections));
    }
  }

  async #serve(conn: Deno.Conn, number: number): Promise<void> {
    const reader = new ExactReader(conn.readable, {
      bufferSize: 17 * 1024 * 1024,
    });
    const state: ConnectionState = {};
    try {
      while (true) {
        const headerBytes = await reader.read(Size.REQUEST_HEADER);
        if (!headerBytes) return;
        const header = decodeRequestHeader(headerBytes);
        const payload = (await reader.readRequired(header.payloadSize)).slice();
        const seen: SeenRequest = {
          connection: number,
          code: header.code,
          clientId: header.clientId,
        };
        let content = new Uint8Array(0);
        if (header.code === RequestCode.SEND_FILE) {
          const fixed = decodeFilePacketHeader(
            payload.subarray(0, Size.FILE_PACKET_FIXED),
          );
          content = payload.subarray(Size.FILE_PACKET_FIXED);
          seen.packet = { ...fixed, contentLength: content.length };
          seen.fileName = fixed.fileName;
        } else {
          const request = decodeRequest(header, payload);
          if ("name" in request) seen.name = request.name;
          if ("fileName" in request) seen.fileName = request.fileName;
        }
        this.requests.push(seen);
        const action = this.#options.intercept?.(seen, this);
        if (action === "drop") return;
        if (action === "silent") continue;
        let response = action;
        if (response?.code === ResponseCode.SERVER_ERROR && seen.packet) {
          state.upload = undefined;
          state.discarding = seen.fileName;
        }
        if (!response) {
          const normal = this.#handle(state, seen, header, payload, content);
          response = normal && this.#options.mangle
            ? this.#options.mangle(normal, seen)
            : normal;
        }
        if (response) {
          await this.#options.beforeResponse?.(seen);
          await writeAll(conn, encodeResponse(response));
          await this.#options.afterResponse?.(seen);
        }
      }
    } catch {
      // The client hung up or the test closed us: nothing to answer.
    } finally {
      this.#open.delete(conn);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }

  #handle(
    state: ConnectionState,
    seen: SeenRequest,
    header: { code: number },
    payload: Uint8Array,
    content: Uint8Array,
  ): Response | undefined {
    const error = { code: ResponseCode.SERVER_ERROR } as const;
    switch (header.code) {
      case RequestCode.REGISTER: {
        // As the real server: a name is taken once its client has a key;
        // a registration abandoned before its key exchange frees the name.
        if (this.clients.get(seen.name!)?.publicKey) {
          return { code: ResponseCode.REGISTER_FAILED };
        }
        const id = this.addClient(seen.name!);
        state.client = this.clients.get(seen.name!);
        return { code: ResponseCode.REGISTER_OK, clientId: id };
      }
      case RequestCode.SEND_PUBLIC_KEY: {
        const client = this.clients.get(seen.name!);
        if (!client || hex(client.id) !== hex(seen.clientId)) return error;
        // Keys only from the session that registered or reconnected the client.
        if (state.client !== client) return error;
        const field = payload.slice(Size.NAME);
        const demanded = this.#options.keyField;
        if (demanded !== undefined && field.length !== demanded) return error;
        client.publicKey = field;
        return this.#keyed(state, client, ResponseCode.AES_KEY);
      }
      case RequestCode.RECONNECT: {
        const client = this.clients.get(seen.name!);
        if (
          !client || hex(client.id) !== hex(seen.clientId) || !client.publicKey
        ) {
          return {
            code: ResponseCode.RECONNECT_REJECTED,
            clientId: seen.clientId,
          };
        }
        return this.#keyed(state, client, ResponseCode.RECONNECT_OK);
      }
      case RequestCode.SEND_FILE: {
        const packet = seen.packet!;
        if (!state.aesKey || !state.client) return error;
        if (packet.packetNumber === 1) {
          state.discarding = undefined;
          state.received = undefined;
          state.upload = { header: packet, chunks: [], size: 0 };
        } else if (state.discarding === packet.fileName) {
          return undefined;
        }
        const upload = state.upload;
        if (
          !upload || packet.fileName !== upload.header.fileName ||
          packet.packetNumber !== upload.chunks.length + 1 ||
          packet.totalPackets !== upload.header.totalPackets ||
          packet.contentSize !== upload.header.contentSize
        ) {
          state.upload = undefined;
          return error;
        }
        upload.chunks.push(content.slice());
        upload.size += content.length;
        if (packet.packetNumber < packet.totalPackets) return undefined;
        state.upload = undefined;
        if (upload.size !== packet.contentSize) return error;
        const cipher = new Uint8Array(upload.size);
        let at = 0;
        for (const chunk of upload.chunks) {
          cipher.set(chunk, at);
          at += chunk.length;
        }
        const plain = decrypt(state.aesKey, cipher);
        state.received = { fileName: packet.fileName, plain };
        this.attempts.push({ fileName: packet.fileName, plain });
        return {
          code: ResponseCode.FILE_RECEIVED,
          clientId: state.client.id,
          contentSize: this.#options.pythonDialect
            ? cipher.length
            : plain.length,
          fileName: packet.fileName,
          checksum: cksum(plain),
        };
      }
      case RequestCode.CRC_OK:
      case RequestCode.CRC_RETRY:
      case RequestCode.CRC_ABORT: {
        const received = state.received;
        if (!state.client || !received || received.fileName !== seen.fileName) {
          return error;
        }
        state.received = undefined;
        if (header.code === RequestCode.CRC_RETRY) {
          return this.#options.pythonDialect
            ? { code: ResponseCode.ACK, clientId: state.client.id }
            : undefined;
        }
        if (header.code === RequestCode.CRC_OK) {
          this.stored.set(
            `${hex(state.client.id)}/${received.fileName}`,
            received.plain,
          );
        }
        return { code: ResponseCode.ACK, clientId: state.client.id };
      }
    }
    return error;
  }

  #keyed(
    state: ConnectionState,
    client: Client,
    code: typeof ResponseCode.AES_KEY | typeof ResponseCode.RECONNECT_OK,
  ): Response {
    state.client = client;
    state.aesKey = crypto.getRandomValues(new Uint8Array(Size.AES_KEY));
    const encryptedKey = encryptKey(client.publicKey!, state.aesKey, {
      hash: this.#options.oaepHash ?? "sha1",
    });
    return { code, clientId: client.id, encryptedKey };
  }

  /** The stored copy of `fileName` for the client named `name`. */
  storedFile(name: string, fileName: string): Uint8Array | undefined {
    const client = this.clients.get(name);
    return client && this.stored.get(`${hex(client.id)}/${fileName}`);
  }

  /** Drops every open connection (as a server crash would). */
  dropAll(): void {
    for (const conn of this.#open) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.#listener.close();
    this.dropAll();
    await this.#accepting.catch(() => {});
    await Promise.allSettled(this.#served);
  }
}
