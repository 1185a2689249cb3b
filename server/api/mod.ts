/**
 * The browser backup client's side of the HTTP server: the JSON API under
 * `/api/v1/`, answered by the thin route files in routes/api/v1/ (the
 * `/backup` page is routes/backup.tsx). Every operation is one of the
 * protocol's, run by the same session core, database and file store as TCP.
 *
 * @example
 * ```ts
 * const api = createBackupApi({ ctx, maxPacketBytes: config.maxPacketBytes });
 * const app = createApp({ ...portalDeps, backupApi: api });
 * // on shutdown, after the HTTP server stopped:
 * await api.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { PROTOCOL_VERSION, Size } from "../protocol/constants.ts";
import type { SessionContext } from "../session/context.ts";
import { sameOrigin } from "../portal/security.ts";
import { TrustedProxies } from "../portal/address.ts";
import { readJsonObject } from "./body.ts";
import { ApiError, errorResponse, jsonResponse } from "./errors.ts";
import { checkKeyProof, historyOf } from "./history.ts";
import { reconnect, register, sendPublicKey } from "./keys.ts";
import { checksumVerdict, filePacket, VERDICTS } from "./packets.ts";
import { PUBLIC_KEY_FIELDS } from "../protocol/client_codec.ts";
import { parsePacketParams } from "./params.ts";
import { fetchFile, list, proveKey } from "./restore.ts";
import { SessionRegistry, type SessionRegistryOptions } from "./sessions.ts";

export { keyProof } from "./history.ts";
export type { ErrorCode } from "./errors.ts";

const logger = getLogger(["cyberbackup", "api"]);

/** What the API needs from the server. */
export interface ApiDeps {
  /** The session context of the main thread; its transport is forced to "http". */
  ctx: SessionContext;
  /**
   * The server's `maxPacketBytes` (a 1028 payload: 267 fixed bytes plus
   * content). An HTTP packet body may hold the same content: this minus 267.
   */
  maxPacketBytes: number;
  /** Idle timeout, rate limits, session cap (defaults suit production). */
  sessions?: SessionRegistryOptions;
  /**
   * Longest pause within a packet body before the packet fails (default
   * 60 s); the server's `idleTimeoutMs` is a good value.
   */
  bodyIdleMs?: number;
  /** Closes every session when aborted (server shutdown). */
  signal?: AbortSignal;
  /**
   * `--trusted-proxy`: proxies whose X-Forwarded-For names the client, so
   * that the per-address rate limit does not lump every user behind one proxy.
   */
  trustedProxy?: string;
}

/**
 * The API's operations, one per endpoint, each answering with the API's
 * JSON (errors included); `peer` is the connection's address, which
 * `--trusted-proxy` may replace with the one a proxy names.
 */
export interface BackupApi {
  readonly sessions: SessionRegistry;
  /** Closes every session, dropping uploads in flight. */
  close(): Promise<void>;
  /** `GET /api/v1/info` */
  info(req: Request): Promise<Response>;
  /** `POST /api/v1/register` */
  register(req: Request, peer: string): Promise<Response>;
  /** `POST /api/v1/reconnect` */
  reconnect(req: Request, peer: string): Promise<Response>;
  /** `POST /api/v1/key` */
  key(req: Request): Promise<Response>;
  /** `POST /api/v1/packet` */
  packet(req: Request): Promise<Response>;
  /** `POST /api/v1/checksum/:verdict` */
  checksum(req: Request, verdict: string): Promise<Response>;
  /** `GET /api/v1/files` */
  files(req: Request): Promise<Response>;
  /** `DELETE /api/v1/session` */
  endSession(req: Request): Promise<Response>;
  /** `POST /api/v1/restore/proof` */
  restoreProof(req: Request): Promise<Response>;
  /** `GET /api/v1/restore/list` */
  restoreList(req: Request): Promise<Response>;
  /** `GET /api/v1/restore/file` */
  restoreFile(req: Request): Promise<Response>;
}

/** What `GET /api/v1/info` answers: what a client must know before it starts. */
export interface ApiInfo {
  protocolVersion: number;
  oaepHash: string;
  rsaBits: number;
  publicKeySizes: readonly number[];
  maxFileBytes: number;
  maxPacketBytes: number;
  sessionIdleSeconds: number;
}

function bearer(req: Request): string | undefined {
  const header = req.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Refuses what a foreign page can make a visitor's browser send without a
 * CORS preflight: a state-changing request from another origin (403), and
 * a JSON operation posted as anything but `application/json` (415; a
 * cross-origin form or `text/plain` fetch cannot set that type). Undefined
 * for a request that may go on; routes/api/v1/_middleware.ts runs it.
 */
export function refuseForeign(req: Request): Response | undefined {
  const method = req.method;
  if (method === "GET" || method === "HEAD") return undefined;
  const path = new URL(req.url).pathname;
  if (!sameOrigin(req)) {
    logger.warn("API request refused: cross-origin {method} {path}", {
      method,
      path,
      origin: req.headers.get("origin")?.slice(0, 200),
    });
    return errorResponse(
      new ApiError(
        "forbidden_origin",
        "Cannot accept the request: it comes from another origin",
      ),
    );
  }
  // Packets are raw ciphertext and need a bearer token a foreign page cannot send.
  if (method === "POST" && path !== "/api/v1/packet") {
    const type = (req.headers.get("content-type") ?? "").split(";")[0].trim()
      .toLowerCase();
    if (type !== "application/json") {
      return errorResponse(
        new ApiError(
          "unsupported_media_type",
          "Cannot read request body: send it as Content-Type: application/json",
        ),
      );
    }
  }
  return undefined;
}

/** Runs an endpoint, turning every failure into the API's JSON error. */
async function answer(
  req: Request,
  action: () => Promise<Response> | Response,
): Promise<Response> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ApiError) return errorResponse(error);
    logger.error("API request {method} {path} failed: {message}", {
      method: req.method,
      path: new URL(req.url).pathname,
      message: (error as Error).message,
      error,
    });
    return errorResponse(
      new ApiError(
        "server_error",
        "The server could not complete the request; the error is in its log",
      ),
    );
  }
}

/** The API over `deps`; its sessions live until `close()` or `deps.signal`. */
export function createBackupApi(deps: ApiDeps): BackupApi {
  const ctx: SessionContext = { ...deps.ctx, transport: "http" };
  const registry = new SessionRegistry(ctx, deps.sessions);
  const maxContent = Math.max(
    Size.AES_BLOCK,
    deps.maxPacketBytes - Size.FILE_PACKET_FIXED,
  );
  const info: ApiInfo = {
    protocolVersion: PROTOCOL_VERSION,
    oaepHash: ctx.oaepHash,
    rsaBits: 1024,
    publicKeySizes: PUBLIC_KEY_FIELDS,
    maxFileBytes: ctx.maxFileBytes,
    maxPacketBytes: maxContent,
    sessionIdleSeconds: registry.idleMs / 1000,
  };
  const session = (req: Request) => registry.get(bearer(req));
  const proxies = new TrustedProxies(deps.trustedProxy);
  const address = (req: Request, peer: string) =>
    proxies.clientAddress(peer, req.headers.get("x-forwarded-for"));
  const body = (req: Request) => readJsonObject(req);

  deps.signal?.addEventListener("abort", () => void registry.closeAll(), {
    once: true,
  });
  return {
    sessions: registry,
    close: () => registry.closeAll(),
    info: (req) => answer(req, () => jsonResponse(info)),
    register: (req, peer) =>
      answer(req, async () => {
        const result = await register(registry, {
          address: address(req, peer),
          body: await body(req),
        });
        return jsonResponse(result, 201);
      }),
    reconnect: (req, peer) =>
      answer(req, async () =>
        jsonResponse(
          await reconnect(registry, {
            address: address(req, peer),
            ctx,
            body: await body(req),
          }),
        )),
    key: (req) =>
      answer(req, async () => {
        const current = session(req);
        return jsonResponse(
          await sendPublicKey(registry, {
            session: current,
            ctx,
            body: await body(req),
          }),
        );
      }),
    packet: (req) =>
      answer(req, async () => {
        const current = session(req);
        const params = parsePacketParams(new URL(req.url).searchParams);
        const result = await filePacket(registry, {
          session: current,
          ctx,
          request: req,
          params,
          maxContent,
          bodyIdleMs: deps.bodyIdleMs,
        });
        return jsonResponse(result, "checksum" in result ? 200 : 202);
      }),
    checksum: (req, verdict) =>
      answer(req, async () => {
        if (!Object.hasOwn(VERDICTS, verdict)) {
          throw new ApiError(
            "not_found",
            `There is no checksum verdict "${verdict}"; use ok, resend or abort`,
          );
        }
        const current = session(req);
        const result = await checksumVerdict(registry, {
          session: current,
          verdict: verdict as keyof typeof VERDICTS,
          body: await body(req),
        });
        return jsonResponse(result, result.resend ? 202 : 200);
      }),
    files: (req) =>
      answer(req, () => {
        const current = session(req);
        checkKeyProof(current, req.headers.get("x-key-proof") ?? undefined);
        current.lastUsed = registry.now();
        return jsonResponse(historyOf(current, ctx));
      }),
    restoreProof: (req) =>
      answer(req, async () =>
        jsonResponse(
          await proveKey(registry, {
            session: session(req),
            body: await body(req),
          }),
        )),
    restoreList: (req) => answer(req, () => list(registry, session(req))),
    restoreFile: (req) =>
      answer(req, () =>
        fetchFile(registry, {
          session: session(req),
          params: new URL(req.url).searchParams,
        })),
    endSession: (req) =>
      answer(req, async () => {
        await registry.close(session(req), "closed by the client");
        return new Response(null, { status: 204 });
      }),
  };
}
