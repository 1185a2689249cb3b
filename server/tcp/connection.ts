/**
 * Serves one TCP connection: frames in, session core, frames out. Knows
 * the wire framing and the idle timeout; knows nothing of what requests mean.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  checkRequestHeader,
  decodeFilePacketHeader,
  decodeRequest,
  decodeRequestHeader,
  encodeResponse,
} from "../protocol/codec.ts";
import { RequestCode, ResponseCode, Size } from "../protocol/constants.ts";
import {
  ProtocolError,
  type RequestHeader,
  type Response,
} from "../protocol/messages.ts";
import { ExactReader, TruncatedError, writeAll } from "../io/exact_reader.ts";
import type { Session } from "../session/session.ts";
import { isRestoreRequestCode } from "../protocol/restore_codec.ts";
import { serveRestore } from "./restore_stream.ts";

const logger = getLogger(["cyberbackup", "tcp"]);

/** Receive buffer per connection; also the largest chunk handed to decrypt. */
const READ_BUFFER_BYTES = 1024 * 1024;
/**
 * The least a file packet's content is read in, unless less is left: each
 * chunk costs a decrypt, a checksum and a hash call and a stream step, so
 * fewer and larger chunks keep the upload path cheap (bench/release.ts).
 */
const CONTENT_CHUNK_BYTES = 256 * 1024;
/**
 * Receive buffer until the key exchange: enough for any request but 1028
 * (whose content it streams), so unauthenticated peers cost little memory.
 */
const PRE_AUTH_BUFFER_BYTES = 4096;

/** What serving a connection needs besides the socket and the session. */
export interface ConnectionOptions {
  maxPacketBytes: number;
  /** Read per call so a changed limit applies to live connections. */
  idleTimeoutMs: () => number;
  /**
   * Time from connect to a finished key exchange (1025 or 1027, then a
   * session key); a connection without one by then is closed.
   */
  authTimeoutMs?: number;
  /**
   * Spends a registration token of the peer's address; when it says no,
   * 1025 gets 1601 without reaching the session. 1601, not 1607: it is the
   * answer the protocol defines for a refused registration, which clients
   * report as such rather than retry as a server failure (docs/protocol.md).
   */
  mayRegister?: () => boolean;
  /**
   * Graceful shutdown: once aborted, the connection ends as soon as its
   * session has no transfer in flight.
   */
  signal?: AbortSignal;
}

/**
 * Reads requests until the client hangs up, idles out, sends something that
 * breaks the framing, or the signal asks to stop. Requests that frame
 * correctly but cannot be served get 1607 and the connection goes on.
 */
export async function serveConnection(
  conn: Deno.Conn,
  session: Session,
  options: ConnectionOptions,
): Promise<void> {
  // Without TCP_NODELAY a second small response (e.g. answers to pipelined
  // requests) waits for the client's delayed ACK: ~40 ms per request.
  if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let idledOut = false;
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      idledOut = true;
      reader.cancel();
    }, options.idleTimeoutMs());
  };
  const reader = new ExactReader(conn.readable, {
    bufferSize: PRE_AUTH_BUFFER_BYTES,
    onData: armIdle,
  });
  let authTimedOut = false;
  const authTimer = options.authTimeoutMs === undefined
    ? undefined
    : setTimeout(() => {
      authTimedOut = true;
      reader.cancel();
    }, options.authTimeoutMs);
  const onAbort = () => {
    // Between requests nothing is lost by stopping; mid-request we finish first.
    if (!busy && !session.inTransfer) reader.cancel();
  };
  let busy = false;
  options.signal?.addEventListener("abort", onAbort);
  const send = (response: Response | undefined) =>
    response ? writeAll(conn, encodeResponse(response)) : Promise.resolve();
  armIdle();
  try {
    while (!(options.signal?.aborted && !session.inTransfer)) {
      const headerBytes = await reader.read(Size.REQUEST_HEADER);
      if (!headerBytes) return;
      busy = true;
      const header = decodeRequestHeader(headerBytes);
      logger.debug("Request {code}, {size} payload bytes", {
        code: header.code,
        size: header.payloadSize,
      });
      try {
        if (isRestoreRequestCode(header.code)) {
          // The restore extension (docs/protocol.md): its own codes, never classic.
          await serveRestore({
            conn,
            reader,
            session,
            header,
            stallMs: options.idleTimeoutMs(),
            // Each frame sent is activity: a long restore is not idle.
            onProgress: armIdle,
          });
          armIdle();
          busy = false;
          continue;
        }
        checkRequestHeader(header, options.maxPacketBytes);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        // A bad header leaves no trustworthy frame boundary: answer and hang up.
        logger.warn("Closing connection: {message}", {
          message: (error as Error).message,
        });
        await send({ code: ResponseCode.SERVER_ERROR });
        return;
      }
      if (header.code === RequestCode.SEND_FILE) {
        await send(await serveFilePacket(reader, session, header));
      } else {
        const payload = await reader.readRequired(header.payloadSize);
        const registerRefused = header.code === RequestCode.REGISTER &&
          options.mayRegister?.() === false;
        if (registerRefused) {
          const remote = conn.remoteAddr as Deno.NetAddr;
          logger.warn("Registration refused: too many from {address}", {
            address: remote.hostname,
          });
        }
        await send(
          registerRefused
            ? { code: ResponseCode.REGISTER_FAILED }
            : await refuseMalformed(
              () => decodeRequest(header, payload),
              session.handle.bind(session),
            ),
        );
      }
      if (session.aesKey && reader.bufferSize < READ_BUFFER_BYTES) {
        clearTimeout(authTimer);
        reader.resize(READ_BUFFER_BYTES);
      }
      busy = false;
    }
  } catch (error) {
    if (idledOut) {
      logger.info("Closing idle connection after {ms} ms", {
        ms: options.idleTimeoutMs(),
      });
    } else if (error instanceof TruncatedError) {
      logger.warn("Client hung up mid-message: {message}", {
        message: error.message,
      });
    } else if (!options.signal?.aborted) {
      logger.warn("Connection failed: {message}", {
        message: (error as Error).message,
      });
    }
  } finally {
    // The cancelled read may end as a clean end of stream: log it here.
    if (authTimedOut) {
      const remote = conn.remoteAddr as Deno.NetAddr;
      logger.info(
        "Closing connection from {address}: no key exchange within {ms} ms of connecting",
        { address: remote.hostname, ms: options.authTimeoutMs },
      );
    }
    clearTimeout(idleTimer);
    clearTimeout(authTimer);
    options.signal?.removeEventListener("abort", onAbort);
    await session.close(
      authTimedOut
        ? "authentication timeout"
        : idledOut
        ? "idle timeout"
        : "connection closed",
    );
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/**
 * Decodes a payload whose frame is intact; a malformed field gets 1607 and
 * the connection goes on, since the next frame boundary is still known.
 */
async function refuseMalformed<T>(
  decode: () => T,
  handle: (request: T) => Promise<Response | undefined>,
): Promise<Response | undefined> {
  let request: T;
  try {
    request = decode();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    logger.warn("Request refused: {message}", { message: error.message });
    return { code: ResponseCode.SERVER_ERROR };
  }
  return await handle(request);
}

/** Streams a 1028 packet's content to the session, then drains what it left. */
async function serveFilePacket(
  reader: ExactReader,
  session: Session,
  header: RequestHeader,
): Promise<Response | undefined> {
  const fixedBytes = await reader.readRequired(Size.FILE_PACKET_FIXED);
  const contentLength = header.payloadSize - Size.FILE_PACKET_FIXED;
  let consumed = 0;
  const content = (async function* () {
    for await (
      const chunk of reader.chunks(contentLength, CONTENT_CHUNK_BYTES)
    ) {
      consumed += chunk.length;
      yield chunk;
    }
  })();
  const response = await refuseMalformed(
    () => decodeFilePacketHeader(fixedBytes),
    (fixed) =>
      session.handle({
        code: RequestCode.SEND_FILE,
        clientId: header.clientId,
        ...fixed,
        contentLength,
        content,
      }),
  );
  await reader.skip(contentLength - consumed);
  return response;
}
