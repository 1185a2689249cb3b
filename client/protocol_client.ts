/**
 * One TCP connection to the backup server, speaking whole frames: requests
 * out, typed responses in. Knows nothing of the flow.
 * @module
 */
import { ExactReader, writeAll } from "../server/io/exact_reader.ts";
import {
  decodeResponse,
  decodeResponseHeader,
  encodeRequest,
  MAX_RESPONSE_PAYLOAD,
  type OutgoingRequest,
  type ResponseHeader,
} from "../server/protocol/client_codec.ts";
import { PROTOCOL_VERSION, Size } from "../server/protocol/constants.ts";
import type { Response } from "../server/protocol/messages.ts";

/**
 * The connection failed, closed, or went silent: the protocol's "dropped
 * connection", which the client survives by connecting again.
 */
export class ConnectionLostError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionLostError";
  }
}

/** The server answered something the protocol does not allow. */
export class BadResponseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BadResponseError";
  }
}

/** Limits of one connection. */
export interface ConnectionOptions {
  /** Give up connecting after this long (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * Give up waiting for the first response on a connection after this long
   * (default 10 s): it answers a small request, so a port that accepts and
   * never answers is found out quickly.
   */
  firstResponseTimeoutMs?: number;
  /**
   * Give up waiting for a later response, or for a write to progress, after
   * this long (default 120 s): the answer to a large upload may come only
   * once the server has decrypted and stored it.
   */
  responseTimeoutMs?: number;
}

/** Defaults of ConnectionOptions, in milliseconds. */
export const DEFAULT_TIMEOUTS = {
  connectTimeoutMs: 10_000,
  firstResponseTimeoutMs: 10_000,
  responseTimeoutMs: 120_000,
} as const;

/** How an HTTP response starts ("HTTP/1.1 400 ..."); its "H" reads as version 72. */
const HTTP_PREFIX = new TextEncoder().encode("HTTP/");

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

/** "300 ms", or "10 s" for whole seconds. */
function formatWait(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** A connection to the backup server. */
export class ProtocolClient {
  #conn: Deno.Conn;
  #reader: ExactReader;
  #firstResponseTimeoutMs: number;
  #responseTimeoutMs: number;
  #answered = false;
  #receiving = false;
  #armTimer: (() => void) | undefined;
  #closed = false;
  /** The last write queued: writes run one after another, never interleaved. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(conn: Deno.Conn, options: ConnectionOptions) {
    this.#conn = conn;
    this.#reader = new ExactReader(conn.readable, {
      bufferSize: MAX_RESPONSE_PAYLOAD,
    });
    this.#firstResponseTimeoutMs = options.firstResponseTimeoutMs ??
      DEFAULT_TIMEOUTS.firstResponseTimeoutMs;
    this.#responseTimeoutMs = options.responseTimeoutMs ??
      DEFAULT_TIMEOUTS.responseTimeoutMs;
  }

  /** Opens a connection; a refusal or timeout is a ConnectionLostError. */
  static async connect(
    host: string,
    port: number,
    options: ConnectionOptions = {},
  ): Promise<ProtocolClient> {
    const timeoutMs = options.connectTimeoutMs ??
      DEFAULT_TIMEOUTS.connectTimeoutMs;
    try {
      const conn = await Deno.connect({
        hostname: host,
        port,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return new ProtocolClient(conn, options);
    } catch (error) {
      const reason = error instanceof DOMException
        ? `no answer within ${formatWait(timeoutMs)}`
        : (error as Error).message;
      throw new ConnectionLostError(
        `Cannot connect to ${formatAddress(host, port)}: ${reason}`,
        { cause: error },
      );
    }
  }

  /** Sends a request without reading an answer (file packets, 1030). */
  async send(request: OutgoingRequest): Promise<void> {
    await this.sendBytes(encodeRequest(request));
  }

  /**
   * Sends bytes already encoded as one or more whole requests. Sends may be
   * started before earlier ones finish (a streaming upload encrypts the
   * next packet meanwhile); they go out whole and in order, because a
   * socket write can be partial and two write loops at once would
   * interleave their bytes. `bytes` must stay unchanged until this resolves.
   */
  sendBytes(bytes: Uint8Array): Promise<void> {
    const write = async () => {
      if (this.#closed) {
        throw new ConnectionLostError("Cannot send request: connection closed");
      }
      // A server that stops reading without hanging up would block a write
      // for good (TCP has no timeout on a closed window): each write must
      // make progress within the response timeout.
      let stalled = false;
      const timed = {
        write: async (chunk: Uint8Array) => {
          const timer = setTimeout(() => {
            stalled = true;
            this.close();
          }, this.#responseTimeoutMs);
          try {
            return await this.#conn.write(chunk);
          } finally {
            clearTimeout(timer);
          }
        },
      };
      try {
        await writeAll(timed, bytes);
      } catch (error) {
        this.close();
        const reason = stalled
          ? `the server took no data for ${formatWait(this.#responseTimeoutMs)}`
          : (error as Error).message;
        throw new ConnectionLostError(`Cannot send request: ${reason}`, {
          cause: error,
        });
      }
    };
    const sending = this.#writing.then(write);
    this.#writing = sending.catch(() => {});
    return sending;
  }

  /**
   * Reads exactly one response. Only one may be pending at a time; it may be
   * started before the request it answers is fully sent, to notice an early
   * 1607 (then pass `deferTimeout` and call `armTimeout()` once the last byte
   * is out). A silent server past the timeout closes the connection; the
   * first response on a connection has a timeout of its own.
   */
  receive(
    options: { timeoutMs?: number; deferTimeout?: boolean } = {},
  ): Promise<Response> {
    return this.#receiveWith(() => this.#readResponse(), options);
  }

  /**
   * Reads one frame of the restore extension: its code and payload, a view
   * valid only until the next read. `maxPayload` says how large each code's
   * payload may be (undefined: a code not allowed here); the read buffer
   * grows to the largest allowed, so a 1 MiB frame is read in one piece.
   */
  receiveFrame(
    maxPayload: (code: number) => number | undefined,
  ): Promise<{ code: number; payload: Uint8Array }> {
    return this.#receiveWith(() => this.#readFrame(maxPayload), {});
  }

  async #readFrame(
    maxPayload: (code: number) => number | undefined,
  ): Promise<{ code: number; payload: Uint8Array }> {
    const header = await this.#readHeader();
    const max = maxPayload(header.code);
    if (max === undefined) {
      throw new BadResponseError(
        `Cannot read response: unexpected response code ${header.code}`,
      );
    }
    if (header.payloadSize > max) {
      throw new BadResponseError(
        `Cannot read response ${header.code}: payload of ${header.payloadSize} bytes exceeds ${max}`,
      );
    }
    if (this.#reader.bufferSize < max) this.#reader.resize(max);
    const payload = header.payloadSize === 0
      ? new Uint8Array(0)
      : await this.#reader.readRequired(header.payloadSize);
    return { code: header.code, payload };
  }

  async #receiveWith<T>(
    read: () => Promise<T>,
    options: { timeoutMs?: number; deferTimeout?: boolean },
  ): Promise<T> {
    if (this.#receiving) {
      throw new Error("Cannot receive: a response is already awaited");
    }
    this.#receiving = true;
    const timeoutMs = options.timeoutMs ??
      (this.#answered ? this.#responseTimeoutMs : this.#firstResponseTimeoutMs);
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.#armTimer = () => {
      this.#armTimer = undefined;
      timer = setTimeout(() => {
        timedOut = true;
        this.close();
      }, timeoutMs);
    };
    if (!options.deferTimeout) this.#armTimer();
    try {
      const response = await read();
      this.#answered = true;
      return response;
    } catch (error) {
      this.close();
      if (timedOut) {
        throw new ConnectionLostError(
          `Cannot read response: no answer within ${formatWait(timeoutMs)}`,
          { cause: error },
        );
      }
      if (
        error instanceof BadResponseError ||
        error instanceof ConnectionLostError
      ) throw error;
      throw new ConnectionLostError(
        `Cannot read response: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
      this.#armTimer = undefined;
      this.#receiving = false;
    }
  }

  /** Starts the timeout of a receive begun with `deferTimeout`. */
  armTimeout(): void {
    this.#armTimer?.();
  }

  async #readResponse(): Promise<Response> {
    const header = await this.#readHeader();
    if (header.payloadSize > MAX_RESPONSE_PAYLOAD) {
      throw new BadResponseError(
        `Cannot read response ${header.code}: payload of ${header.payloadSize} bytes exceeds ${MAX_RESPONSE_PAYLOAD}`,
      );
    }
    const payload = header.payloadSize === 0
      ? new Uint8Array(0)
      : await this.#reader.readRequired(header.payloadSize);
    try {
      return decodeResponse(header, payload);
    } catch (error) {
      throw new BadResponseError((error as Error).message, { cause: error });
    }
  }

  async #readHeader(): Promise<ResponseHeader> {
    const headerBytes = await this.#reader.read(Size.RESPONSE_HEADER);
    if (!headerBytes) {
      throw new ConnectionLostError(
        "Cannot read response: server closed the connection",
      );
    }
    if (startsWith(headerBytes, HTTP_PREFIX)) {
      throw new BadResponseError(
        "Cannot read response: this looks like an HTTP server (the portal?); the protocol port is the one in port.info, 1256 by default",
      );
    }
    const header = decodeResponseHeader(headerBytes);
    if (header.version !== PROTOCOL_VERSION) {
      throw new BadResponseError(
        `Cannot read response: server speaks version ${header.version}, not ${PROTOCOL_VERSION}`,
      );
    }
    return header;
  }

  /** Sends a request and reads its one response. */
  async request(request: OutgoingRequest): Promise<Response> {
    await this.send(request);
    return await this.receive();
  }

  /** True once closed, by us or after a failure. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the connection; a pending receive rejects. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }
}

/** `host:port`, with brackets around an IPv6 address. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The server answered 1607 (general server error): worth a retry. */
export class ServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServerError";
  }
}
