/**
 * The upload operations: a file packet (1028) whose raw body is streamed
 * to the session core, and the checksum verdicts (1029 OK, 1030 resend,
 * 1031 abort). The API checks what it can before the core sees a request,
 * so a refusal gets a precise code and leaves the upload as it was.
 * @module
 */
import { RequestCode, ResponseCode } from "../protocol/constants.ts";
import type { SessionContext } from "../session/context.ts";
import type { Served } from "../session/session.ts";
import type { SessionView } from "../session/state.ts";
import {
  type BodyCheck,
  contentLength,
  DEFAULT_BODY_IDLE_MS,
  exactContent,
} from "./body.ts";
import { ApiError } from "./errors.ts";
import { serverFailure } from "./keys.ts";
import { type PacketParams, parseFileName } from "./params.ts";
import type { ApiSession, SessionRegistry } from "./sessions.ts";

/** Answer to a packet that is not the last: accepted, send the next. */
export interface PacketAccepted {
  fileName: string;
  packet: number;
  totalPackets: number;
}

/** Answer to the last packet (1603): the server's checksum of the decrypted file. */
export interface FileReceived {
  fileName: string;
  /** Size of the decrypted file. */
  size: number;
  /** POSIX cksum of the decrypted file, unsigned 32-bit. */
  checksum: number;
}

/** The three verdicts, by the name the API's paths use. */
export const VERDICTS = {
  ok: RequestCode.CRC_OK,
  resend: RequestCode.CRC_RETRY,
  abort: RequestCode.CRC_ABORT,
} as const;

/** One of `ok`, `resend`, `abort`. */
export type Verdict = keyof typeof VERDICTS;

function safeLength(request: Request): number | undefined {
  try {
    return contentLength(request);
  } catch {
    return undefined;
  }
}

/**
 * Reads and drops a refused packet's body (at most `max` bytes, giving up
 * after `idleMs` without data), so the connection stays usable.
 */
async function discard(
  body: ReadableStream<Uint8Array> | null,
  max: number,
  idleMs = DEFAULT_BODY_IDLE_MS,
): Promise<void> {
  if (!body || body.locked) return;
  const reader = body.getReader();
  try {
    for (let seen = 0; seen <= max;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), idleMs);
      });
      const result = await Promise.race([reader.read(), idle]);
      clearTimeout(timer);
      if (!result || result.done) break;
      seen += result.value.length;
    }
  } catch {
    // The client went away; nothing to keep.
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function packetLength(
  request: Request,
  params: PacketParams,
  maxContent: number,
): number {
  const declared = contentLength(request);
  const length = params.length ?? declared;
  if (length === undefined) {
    throw new ApiError(
      "length_required",
      "Cannot read file packet: send Content-Length or the length parameter",
    );
  }
  if (declared !== undefined && declared !== length) {
    throw new ApiError(
      "length_mismatch",
      `Cannot read file packet: Content-Length ${declared} differs from length ${length}`,
    );
  }
  if (length > maxContent) {
    throw new ApiError(
      "packet_too_large",
      `Cannot accept file packet: ${length} bytes exceed the packet limit of ${maxContent}`,
    );
  }
  if (length > params.contentSize) {
    throw new ApiError(
      "invalid_packet",
      `Cannot accept file packet: ${length} bytes exceed the file's content size ${params.contentSize}`,
    );
  }
  return length;
}

/** Why a packet after the first cannot continue the upload the API has seen. */
function checkSequence(view: SessionView, params: PacketParams): void {
  if (params.packetNumber === 1) return;
  const upload = view.upload;
  const expected = upload
    ? `expected packet ${upload.nextPacket} of ${upload.totalPackets} of "${upload.fileName}"`
    : "no upload is in progress; start with packet 1";
  if (
    !upload || upload.fileName !== params.fileName ||
    upload.totalPackets !== params.totalPackets ||
    upload.origFileSize !== params.origFileSize ||
    upload.nextPacket !== params.packetNumber
  ) {
    throw new ApiError(
      "out_of_sequence",
      `Cannot accept packet ${params.packetNumber} of "${params.fileName}": ${expected}`,
    );
  }
}

/** The API error for a packet the core refused (1607). */
function refusal(
  session: ApiSession,
  served: Served,
  check: BodyCheck,
  options: { previous: string | undefined; params: PacketParams },
): ApiError {
  const { previous, params } = options;
  if (check.problem) {
    return new ApiError(
      "length_mismatch",
      `Cannot accept file packet: ${check.problem}; the upload was dropped, start again with packet 1`,
    );
  }
  if (previous !== undefined && previous !== params.fileName) {
    return new ApiError(
      "out_of_sequence",
      `Cannot start "${params.fileName}": "${previous}" was still being uploaded; both were dropped, start again with packet 1`,
    );
  }
  if (served.refusal?.overQuota) {
    return new ApiError(
      "over_quota",
      `${served.refusal.message}; the upload was dropped`,
    );
  }
  // The core refused the upload itself (sizes, padding, name, sequence).
  if (served.refusal?.cause === "refused") {
    return new ApiError(
      "upload_rejected",
      `${served.refusal.message}; the upload was dropped, start again with packet 1`,
    );
  }
  return serverFailure(session, "accept file packet", served.refusal);
}

/** 1028: streams one packet's ciphertext (the request body) into the core. */
export function filePacket(
  registry: SessionRegistry,
  input: {
    session: ApiSession;
    ctx: SessionContext;
    request: Request;
    params: PacketParams;
    maxContent: number;
    /** Longest pause within a packet body (default 60 s). */
    bodyIdleMs?: number;
  },
): Promise<PacketAccepted | FileReceived> {
  const { session, ctx, request, params } = input;
  return session.run(async () => {
    const view = session.core.view;
    let length: number;
    try {
      if (!view.aesKey) {
        throw new ApiError(
          "no_key",
          "Cannot accept file packet: exchange keys or reconnect first",
        );
      }
      if (params.origFileSize > ctx.maxFileBytes) {
        throw new ApiError(
          "file_too_large",
          `Cannot accept "${params.fileName}": ${params.origFileSize} bytes exceed the server's limit of ${ctx.maxFileBytes}`,
        );
      }
      length = packetLength(request, params, input.maxContent);
      checkSequence(view, params);
    } catch (error) {
      // A body of acceptable size is read and dropped, so the client sees
      // the answer instead of a reset connection; a larger one is cut off.
      const declared = params.length ?? safeLength(request);
      if ((declared ?? Infinity) <= input.maxContent) {
        await discard(request.body, input.maxContent, input.bodyIdleMs);
      } else {
        await request.body?.cancel().catch(() => {});
      }
      throw error;
    }
    const check: BodyCheck = {};
    const served = await session.core.serve({
      code: RequestCode.SEND_FILE,
      clientId: session.identity.clientId,
      contentSize: params.contentSize,
      origFileSize: params.origFileSize,
      packetNumber: params.packetNumber,
      totalPackets: params.totalPackets,
      fileName: params.fileName,
      contentLength: length,
      content: exactContent(request.body, length, check, {
        idleMs: input.bodyIdleMs,
      }),
    });
    // The core refused before reading: drop the body so the answer gets through.
    await discard(request.body, input.maxContent, input.bodyIdleMs);
    const response = served.response;
    if (response === undefined) {
      return {
        fileName: params.fileName,
        packet: params.packetNumber,
        totalPackets: params.totalPackets,
      };
    }
    if (response.code === ResponseCode.FILE_RECEIVED) {
      return {
        fileName: response.fileName,
        size: response.contentSize,
        checksum: response.checksum,
      };
    }
    throw refusal(session, served, check, {
      previous: view.upload?.fileName,
      params,
    });
  }, () => registry.now());
}

/** 1029 / 1030 / 1031: the client's verdict on the checksum of a received file. */
export function checksumVerdict(
  registry: SessionRegistry,
  input: {
    session: ApiSession;
    verdict: Verdict;
    body: Record<string, unknown>;
  },
): Promise<{ fileName: string; verified: boolean; resend?: true }> {
  const { session, verdict } = input;
  const fileName = parseFileName(input.body.fileName);
  return session.run(async () => {
    if (session.core.view.awaitingVerdict !== fileName) {
      throw new ApiError(
        "no_file_awaiting",
        `Cannot take a checksum verdict on "${fileName}": no such file awaits one in this session`,
      );
    }
    const { response, refusal } = await session.core.serve({
      code: VERDICTS[verdict],
      clientId: session.identity.clientId,
      fileName,
    });
    if (verdict === "resend" && response === undefined) {
      return { fileName, verified: false, resend: true };
    }
    if (response?.code === ResponseCode.ACK) {
      return { fileName, verified: verdict === "ok" };
    }
    if (refusal?.overQuota) {
      throw new ApiError(
        "over_quota",
        `${refusal.message}; the upload was dropped`,
      );
    }
    throw serverFailure(
      session,
      `take checksum verdict "${verdict}"`,
      refusal,
    );
  }, () => registry.now());
}
