/**
 * Request bodies bounded before they are read: refused at once when
 * `Content-Length` says too much, cut off as soon as a streamed (chunked)
 * body passes the limit, and given up when it stalls. A 512 MiB sign-in
 * form must cost nothing but the bytes read before the refusal.
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** Largest body of a portal form (sign-in, settings, delete): far more than any of them needs. */
export const FORM_BODY_BYTES = 16 * 1024;

/** How long a form body may send nothing before it is given up. */
export const FORM_BODY_IDLE_MS = 10_000;

/** Why a body was not read. */
export class BodyLimitError extends Error {
  constructor(
    readonly reason: "too_large" | "stalled",
    message: string,
  ) {
    super(message);
    this.name = "BodyLimitError";
  }
}

/**
 * Reads a whole body of at most `maxBytes`; throws a {@link BodyLimitError}
 * when `Content-Length` or the bytes streamed pass it, or when no data
 * comes for `idleMs`. Nothing past the limit is buffered.
 */
export async function readBounded(
  request: Request,
  maxBytes: number,
  idleMs: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const header = request.headers.get("content-length");
  const declared = header === null ? undefined : Number(header);
  if (
    declared !== undefined &&
    (!Number.isSafeInteger(declared) || declared > maxBytes)
  ) {
    await request.body?.cancel().catch(() => {});
    throw new BodyLimitError(
      "too_large",
      `Cannot read request body: Content-Length ${header} exceeds the limit of ${maxBytes} bytes`,
    );
  }
  const out = new Uint8Array(Math.min(declared ?? maxBytes, maxBytes));
  if (!request.body) return out.subarray(0, 0);
  const reader = request.body.getReader();
  let size = 0;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new BodyLimitError(
                "stalled",
                `Cannot read request body: no data for ${idleMs / 1000} s`,
              ),
            ),
          idleMs,
        );
      });
      const { done, value } = await Promise.race([reader.read(), stalled])
        .finally(() => clearTimeout(timer));
      if (done) return out.slice(0, size);
      if (size + value.length > out.length) {
        throw new BodyLimitError(
          "too_large",
          `Cannot read request body: more than ${maxBytes} bytes`,
        );
      }
      out.set(value, size);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Middleware that reads every body of a request not `exempt` within
 * `maxBytes` before any route sees it; refusals are 413 (too large) or
 * 408 (stalled), with the connection closed.
 */
export function boundedBodies(options: {
  maxBytes: number;
  idleMs: number;
  exempt: (path: string) => boolean;
}): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    if (!request.body || options.exempt(c.req.path)) return await next();
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readBounded(request, options.maxBytes, options.idleMs);
    } catch (error) {
      // A client that went away mid-body is not a server error.
      if (!(error instanceof BodyLimitError)) {
        return c.text("Request body was cut off", 400, { connection: "close" });
      }
      return c.text(
        error.reason === "too_large"
          ? "Request body too large"
          : "Request body timed out",
        error.reason === "too_large" ? 413 : 408,
        { connection: "close" },
      );
    }
    c.req.raw = new Request(request, { body: bytes });
    await next();
  };
}
