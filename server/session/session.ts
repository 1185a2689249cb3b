/**
 * One client session: checks what the request may do in the current state,
 * dispatches it to its handler, and turns every failure into 1607.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  RequestCode,
  ResponseCode,
  RestoreRequestCode,
  RestoreResponseCode,
} from "../protocol/constants.ts";
import {
  ProtocolError,
  type Request,
  type Response,
} from "../protocol/messages.ts";
import { nowOf, type SessionContext } from "./context.ts";
import { checkFreeSpace } from "./disk_guard.ts";
import {
  abandonUpload,
  isDiscarded,
  receiveFilePacket,
} from "./handlers/file_packet.ts";
import { sendPublicKey } from "./handlers/public_key.ts";
import { reconnect } from "./handlers/reconnect.ts";
import { register } from "./handlers/register.ts";
import { QuotaError } from "./quota.ts";
import { checksumVerdict } from "./handlers/verdict.ts";
import {
  fetchVersion,
  listVersions,
  proveKey,
  type RestoreAnswer,
  RestoreRefusal,
} from "./handlers/restore.ts";
import type { RestoreRequest } from "../protocol/restore_codec.ts";
import { type SessionState, type SessionView } from "./state.ts";
import { sameBytes } from "../../shared/encoding.ts";
import { endTransfer } from "./transfers.ts";

const logger = getLogger(["cyberbackup", "session"]);

/** LastSeen is written at most this often per session. */
const TOUCH_INTERVAL_MS = 1000;

/**
 * Why a request got 1607: `refused` when the request was at fault
 * (a ProtocolError), `failed` when the server was.
 */
export interface Refusal {
  message: string;
  cause: "refused" | "failed";
  /** The upload would exceed its client's quota (quota.ts). */
  overQuota?: true;
}

/** A request's outcome: the response to send, and why it is 1607 if it is. */
export interface Served {
  /** Undefined where the protocol sends no answer (intermediate packets, 1030). */
  response: Response | undefined;
  refusal?: Refusal;
}

/** The protocol state machine of one client, whatever the transport. */
export class Session {
  #ctx: SessionContext;
  #state: SessionState = {};
  #lastTouch = 0;
  #closed = false;

  constructor(ctx: SessionContext) {
    this.#ctx = ctx;
  }

  /** The client this session speaks for, once known (32 hex characters). */
  get client(): string | undefined {
    return this.#state.identity?.hex;
  }

  /**
   * The session AES key after 1026 / 1027: held here, in memory, for the
   * session's life; the database copy is cleared when the session ends.
   */
  get aesKey(): Uint8Array | undefined {
    return this.#state.aesKey;
  }

  /** True while an upload is under way or waits for its verdict or resend. */
  get inTransfer(): boolean {
    const state = this.#state;
    return Boolean(state.upload || state.received || state.transfer);
  }

  /** A read-only snapshot of what the session knows, for the transport. */
  get view(): SessionView {
    const { identity, aesKey, upload, received } = this.#state;
    return {
      identity,
      aesKey,
      upload: upload && {
        fileName: upload.header.fileName,
        totalPackets: upload.header.totalPackets,
        origFileSize: upload.header.origFileSize,
        nextPacket: upload.nextPacket,
      },
      awaitingVerdict: received?.fileName,
    };
  }

  /**
   * Serves one request, for a transport that sends only the response
   * (undefined where the protocol sends none: intermediate file packets,
   * 1030). See {@linkcode Session.serve}.
   */
  async handle(request: Request): Promise<Response | undefined> {
    return (await this.serve(request)).response;
  }

  /**
   * Serves one request and says why when the answer is 1607. Never throws:
   * what cannot be served is logged and answered 1607. A file packet's
   * content may be left partly unread; the transport drains it.
   */
  async serve(request: Request): Promise<Served> {
    if (this.#closed) throw new Error("Cannot handle request: session closed");
    try {
      this.#touch(request.clientId);
      return { response: await this.#dispatch(request) };
    } catch (error) {
      return await this.#fail(request.code, error, async (message) => {
        if (request.code !== RequestCode.SEND_FILE) return;
        await abandonUpload(this.#state, this.#ctx, request, message).catch(
          (cleanup) =>
            logger.error("Cannot clean up failed upload: {message}", {
              message: (cleanup as Error).message,
            }),
        );
      });
    }
  }

  /**
   * Serves one request of the restore extension (docs/protocol.md,
   * "Restore extension"). Never throws: a request the session may not make
   * gets 1607, a proven session's request for what is not there gets 2103.
   * A 2101 comes with its frames, which the transport sends in order and
   * then calls `close()` (also when it stops early).
   */
  async restore(
    request: RestoreRequest,
  ): Promise<RestoreAnswer & { refusal?: Refusal }> {
    if (this.#closed) throw new Error("Cannot handle request: session closed");
    try {
      this.#touch(request.clientId);
      const state = this.#state;
      switch (request.code) {
        case RestoreRequestCode.PROVE_KEY:
          return { response: proveKey(state, request) };
        case RestoreRequestCode.LIST:
          return listVersions(state, this.#ctx, request);
        case RestoreRequestCode.FETCH:
          return await fetchVersion(state, this.#ctx, request);
      }
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof RestoreRefusal && this.#state.identity) {
        logger.info("Restore request {code} refused: {message}", {
          code: request.code,
          message,
          client: this.client,
        });
        return {
          response: {
            code: RestoreResponseCode.REFUSED,
            clientId: this.#state.identity.clientId,
            reason: error.reason,
            message,
          },
          refusal: { message, cause: "refused" },
        };
      }
      return await this.#fail(request.code, error);
    }
  }

  /**
   * The 1607 for a request that threw: logs why (a warning when the
   * request was at fault, an error when the server was), runs `cleanup`,
   * and tells the statistics.
   */
  async #fail(
    code: number,
    error: unknown,
    cleanup?: (message: string) => Promise<void>,
  ): Promise<
    { response: { code: typeof ResponseCode.SERVER_ERROR }; refusal: Refusal }
  > {
    const message = (error as Error).message;
    if (error instanceof ProtocolError) {
      logger.warn("Request {code} refused: {message}", {
        code,
        message,
        client: this.client,
      });
    } else {
      logger.error("Request {code} failed: {message}", {
        code,
        message,
        client: this.client,
        error,
      });
    }
    await cleanup?.(message);
    const refusal: Refusal = {
      message,
      cause: error instanceof ProtocolError ? "refused" : "failed",
      ...(error instanceof QuotaError && { overQuota: true }),
    };
    this.#ctx.events({
      type: "error",
      response: ResponseCode.SERVER_ERROR,
      ...refusal,
    });
    return { response: { code: ResponseCode.SERVER_ERROR }, refusal };
  }

  #dispatch(
    request: Request,
  ): Promise<Response | undefined> | Response | undefined {
    const state = this.#state;
    switch (request.code) {
      case RequestCode.REGISTER:
        return register(state, this.#ctx, request);
      case RequestCode.SEND_PUBLIC_KEY:
        return sendPublicKey(state, this.#ctx, request);
      case RequestCode.RECONNECT:
        return reconnect(state, this.#ctx, request);
      case RequestCode.SEND_FILE: {
        if (isDiscarded(state, request)) return undefined;
        // Before packet 1 opens anything: a nearly full disk takes no new upload.
        if (request.packetNumber === 1) {
          checkFreeSpace(this.#ctx, request.fileName);
        }
        return receiveFilePacket(state, this.#ctx, request);
      }
      case RequestCode.CRC_OK:
      case RequestCode.CRC_RETRY:
      case RequestCode.CRC_ABORT:
        return checksumVerdict(state, this.#ctx, request);
    }
  }

  #touch(clientId: Uint8Array): void {
    const identity = this.#state.identity;
    if (!identity || !sameBytes(identity.clientId, clientId)) return;
    const now = Date.now();
    if (now - this.#lastTouch < TOUCH_INTERVAL_MS) return;
    this.#lastTouch = now;
    try {
      this.#ctx.db.clients.touch(identity.clientId, nowOf(this.#ctx));
    } catch (error) {
      // LastSeen is bookkeeping: a locked or read-only database must not
      // fail the request itself (which fails on its own if it must write).
      logger.warn("Cannot update last-seen time of {client}: {message}", {
        client: identity.hex,
        message: (error as Error).message,
      });
    }
  }

  /** The AES key must not outlive the session in the database (who could read it). */
  #forgetKey(): void {
    const { identity, aesKey } = this.#state;
    if (!identity || !aesKey) return;
    try {
      this.#ctx.db.clients.forgetSessionKey(identity.clientId, aesKey);
    } catch (error) {
      // The next start clears it (Database.forgetSessionKeys).
      logger.warn("Cannot clear the session key of {client}: {message}", {
        client: identity.hex,
        message: (error as Error).message,
      });
    }
  }

  /**
   * Ends the session: an upload in flight or a file still waiting for its
   * verdict is dropped and recorded as aborted. Safe to call twice.
   */
  async close(reason = "connection closed"): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const state = this.#state;
    const bytes = state.upload?.received ?? state.received?.size ?? 0;
    await state.upload?.abort();
    await state.received?.pending.abort();
    state.upload = undefined;
    state.received = undefined;
    this.#forgetKey();
    if (state.transfer) {
      logger.warn("Upload of {file} aborted: {reason}", {
        file: state.transfer.fileName,
        reason,
        client: this.client,
      });
      endTransfer(state, this.#ctx, {
        outcome: "aborted",
        bytes,
        error: reason,
      });
    }
  }
}
