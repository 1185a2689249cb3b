/**
 * The browser backup client's side of the HTTP server: the JSON API under
 * `/api/v1/` and the `/backup` page, mounted on the portal's Hono app
 * through `createApp(deps, { extend })`. Every operation is one of the
 * protocol's, run by the same session core, database and file store as TCP.
 *
 * @example
 * ```ts
 * let api: BackupApi | undefined;
 * const app = createApp(portalDeps, {
 *   extend: (app) => {
 *     api = mountBackupApi(app, { ctx, maxPacketBytes: config.maxPacketBytes });
 *   },
 * });
 * // on shutdown, after the HTTP server stopped:
 * await api?.close();
 * ```
 * @module
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import { getLogger } from "@logtape/logtape";
import { PROTOCOL_VERSION, Size } from "../protocol/constants.ts";
import type { SessionContext } from "../session/context.ts";
import { renderPage } from "../portal/render.ts";
import { sameOrigin } from "../portal/security.ts";
import { TrustedProxies } from "../portal/address.ts";
import * as backupPage from "../../routes/backup.tsx";
import { readJsonObject } from "./body.ts";
import { ApiError, errorResponse, jsonResponse } from "./errors.ts";
import { checkKeyProof, historyOf } from "./history.ts";
import { reconnect, register, sendPublicKey } from "./keys.ts";
import { checksumVerdict, filePacket, VERDICTS } from "./packets.ts";
import { PUBLIC_KEY_FIELDS } from "../protocol/client_codec.ts";
import { parsePacketParams } from "./params.ts";
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

/** The mounted API, for shutdown and tests. */
export interface BackupApi {
  readonly sessions: SessionRegistry;
  /** Closes every session, dropping uploads in flight. */
  close(): Promise<void>;
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

function bearer(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Refuses what a foreign page can make a visitor's browser send without a
 * CORS preflight: a state-changing request from another origin (403), and
 * a JSON operation posted as anything but `application/json` (415; a
 * cross-origin form or `text/plain` fetch cannot set that type).
 */
const browserGuard: MiddlewareHandler = async (c, next) => {
  const method = c.req.method;
  if (method === "GET" || method === "HEAD") return await next();
  if (!sameOrigin(c.req.raw)) {
    logger.warn("API request refused: cross-origin {method} {path}", {
      method,
      path: c.req.path,
      origin: c.req.header("origin")?.slice(0, 200),
    });
    return errorResponse(
      new ApiError(
        "forbidden_origin",
        "Cannot accept the request: it comes from another origin",
      ),
    );
  }
  // Packets are raw ciphertext and need a bearer token a foreign page cannot send.
  if (method === "POST" && c.req.path !== "/api/v1/packet") {
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim()
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
  await next();
};

/** Runs an endpoint, turning every failure into the API's JSON error. */
async function answer(
  c: Context,
  action: () => Promise<Response> | Response,
): Promise<Response> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ApiError) return errorResponse(error);
    logger.error("API request {method} {path} failed: {message}", {
      method: c.req.method,
      path: c.req.path,
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

/** Mounts the JSON API and the `/backup` page on `app`. */
export function mountBackupApi(app: Hono, deps: ApiDeps): BackupApi {
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
  const session = (c: Context) => registry.get(bearer(c));
  const proxies = new TrustedProxies(deps.trustedProxy);
  const body = (c: Context) => readJsonObject(c.req.raw);

  app.use("/api/v1/*", browserGuard);
  app.get("/api/v1/info", (c) => answer(c, () => jsonResponse(info)));
  app.post("/api/v1/register", (c) =>
    answer(c, async () => {
      const result = await register(registry, {
        address: proxies.of(c),
        body: await body(c),
      });
      return jsonResponse(result, 201);
    }));
  app.post("/api/v1/reconnect", (c) =>
    answer(c, async () =>
      jsonResponse(
        await reconnect(registry, {
          address: proxies.of(c),
          ctx,
          body: await body(c),
        }),
      )));
  app.post("/api/v1/key", (c) =>
    answer(c, async () => {
      const current = session(c);
      return jsonResponse(
        await sendPublicKey(registry, {
          session: current,
          ctx,
          body: await body(c),
        }),
      );
    }));
  app.post("/api/v1/packet", (c) =>
    answer(c, async () => {
      const current = session(c);
      const params = parsePacketParams(new URL(c.req.url).searchParams);
      const result = await filePacket(registry, {
        session: current,
        ctx,
        request: c.req.raw,
        params,
        maxContent,
        bodyIdleMs: deps.bodyIdleMs,
      });
      return jsonResponse(result, "checksum" in result ? 200 : 202);
    }));
  app.post("/api/v1/checksum/:verdict", (c) =>
    answer(c, async () => {
      const verdict = c.req.param("verdict");
      if (!Object.hasOwn(VERDICTS, verdict)) {
        throw new ApiError(
          "not_found",
          `There is no checksum verdict "${verdict}"; use ok, resend or abort`,
        );
      }
      const current = session(c);
      const result = await checksumVerdict(registry, {
        session: current,
        verdict: verdict as keyof typeof VERDICTS,
        body: await body(c),
      });
      return jsonResponse(result, result.resend ? 202 : 200);
    }));
  app.get("/api/v1/files", (c) =>
    answer(c, () => {
      const current = session(c);
      checkKeyProof(current, c.req.header("x-key-proof"));
      current.lastUsed = registry.now();
      return jsonResponse(historyOf(current, ctx));
    }));
  app.delete("/api/v1/session", (c) =>
    answer(c, async () => {
      await registry.close(session(c), "closed by the client");
      return new Response(null, { status: 204 });
    }));
  app.get("/backup", (c) => {
    const html = renderPage(backupPage, {
      data: backupPage.pageData(),
      url: new URL(c.req.url),
      session: undefined,
    });
    return new Response(html, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
      },
    });
  });

  deps.signal?.addEventListener("abort", () => void registry.closeAll(), {
    once: true,
  });
  return { sessions: registry, close: () => registry.closeAll() };
}
