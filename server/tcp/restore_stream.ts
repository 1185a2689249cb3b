/**
 * The TCP side of the restore extension: reads one restore request, runs
 * it through the session, and writes the answer and, for a stream, its
 * frames one by one as the socket takes them (the session reads the next
 * frame from disk only when this asks for it, so memory stays at one frame).
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type ExactReader, writeAll } from "../io/exact_reader.ts";
import { encodeResponse } from "../protocol/codec.ts";
import { ResponseCode } from "../protocol/constants.ts";
import { ProtocolError, type RequestHeader } from "../protocol/messages.ts";
import {
  checkRestoreHeader,
  decodeRestoreRequest,
  encodeRestoreResponse,
  type RestoreRequest,
} from "../protocol/restore_codec.ts";
import type { Session } from "../session/session.ts";

const logger = getLogger(["cyberbackup", "tcp"]);

/**
 * Serves one restore request whose header was read. Throws ProtocolError
 * for a header the extension does not allow (the caller answers 1607 and
 * hangs up); a write that makes no progress for `stallMs` closes the
 * connection (a client that stops reading must not hold a file open).
 */
export async function serveRestore(
  options: {
    conn: Deno.Conn;
    reader: ExactReader;
    session: Session;
    header: RequestHeader;
    stallMs: number;
    /** Called after each frame is written. */
    onProgress: () => void;
  },
): Promise<void> {
  const { conn, reader, session, stallMs } = options;
  const header = checkRestoreHeader(options.header);
  const payload = header.payloadSize === 0
    ? new Uint8Array(0)
    : await reader.readRequired(header.payloadSize);
  let request: RestoreRequest;
  try {
    request = decodeRestoreRequest(header, payload);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    // The frame is intact, so the connection goes on after 1607.
    logger.warn("Request refused: {message}", { message: error.message });
    await writeAll(conn, encodeResponse({ code: ResponseCode.SERVER_ERROR }));
    return;
  }
  const answer = await session.restore(request);
  const write = async (bytes: Uint8Array) => {
    const timer = setTimeout(() => {
      logger.warn(
        "Closing connection: the client took no restore data for {ms} ms",
        {
          ms: stallMs,
        },
      );
      conn.close();
    }, stallMs);
    try {
      await writeAll(conn, bytes);
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    await write(encodeRestoreResponse(answer.response));
    if (answer.frames) {
      for await (const frame of answer.frames) {
        await write(frame);
        options.onProgress();
      }
    }
  } finally {
    answer.close?.();
  }
}
