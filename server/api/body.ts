/**
 * Request bodies, read at the edge with their size bounded before any byte
 * is buffered: small JSON objects for the control operations, and a file
 * packet's ciphertext streamed to the session core in exactly its announced
 * length.
 * @module
 */
import { ApiError } from "./errors.ts";
import { BodyLimitError, readBounded } from "../portal/body_limit.ts";

/** Largest JSON body of a control operation (a name, an id, a 162-byte key in base64). */
export const MAX_JSON_BYTES = 4096;

/** The Content-Length header as a byte count; undefined when absent. */
export function contentLength(request: Request): number | undefined {
  const header = request.headers.get("content-length");
  if (header === null) return undefined;
  if (!/^\d{1,16}$/.test(header.trim())) {
    throw new ApiError(
      "invalid_packet",
      `Cannot read request body: Content-Length "${header}" is not a byte count`,
    );
  }
  return Number(header.trim());
}

/**
 * Reads a JSON object of at most {@linkcode MAX_JSON_BYTES}; an empty body
 * is an empty object. Anything else is `invalid_json` / `body_too_large`.
 */
export async function readJsonObject(
  request: Request,
  idleMs = DEFAULT_BODY_IDLE_MS,
): Promise<Record<string, unknown>> {
  contentLength(request);
  let bytes: Uint8Array;
  try {
    bytes = await readBounded(request, MAX_JSON_BYTES, idleMs);
  } catch (error) {
    if (!(error instanceof BodyLimitError)) throw error;
    throw new ApiError(
      error.reason === "too_large" ? "body_too_large" : "body_timeout",
      error.message,
    );
  }
  const text = new TextDecoder().decode(bytes).trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(
      "invalid_json",
      `Cannot parse request body: ${(error as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(
      "invalid_json",
      "Cannot parse request body: expected a JSON object",
    );
  }
  return value as Record<string, unknown>;
}

/** How long a packet body may send nothing before it is given up: 60 s. */
export const DEFAULT_BODY_IDLE_MS = 60_000;

/** Why a packet body did not have its announced length, once known. */
export interface BodyCheck {
  problem?: string;
}

/**
 * A packet body as the session core wants it: exactly `length` bytes.
 * A body that ends early or runs past `length` makes the iteration throw
 * (so the session fails the upload) and records why in `check`; the last
 * bytes are only handed over once the body is known to end there, so a
 * too-long body can never complete an upload.
 */
export async function* exactContent(
  body: ReadableStream<Uint8Array> | null,
  length: number,
  check: BodyCheck,
  options: { idleMs?: number } = {},
): AsyncGenerator<Uint8Array> {
  const idleMs = options.idleMs ?? DEFAULT_BODY_IDLE_MS;
  const fail = (problem: string): never => {
    check.problem = problem;
    throw new RangeError(`Cannot read packet body: ${problem}`);
  };
  if (!body) {
    if (length > 0) fail(`body is empty, expected ${length} bytes`);
    return;
  }
  const reader = body.getReader();
  // A client that stops sending mid-body must not hold its session busy
  // (and out of the idle sweep) for ever.
  const read = async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        check.problem = `no data for ${idleMs / 1000} s`;
        reject(new RangeError(`Cannot read packet body: ${check.problem}`));
      }, idleMs);
    });
    try {
      return await Promise.race([reader.read(), stalled]);
    } catch (error) {
      check.problem ??= "body was cut off";
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await read();
      if (done) {
        if (received < length) {
          fail(`body has ${received} bytes, expected ${length}`);
        }
        return;
      }
      if (value.length === 0) continue;
      received += value.length;
      if (received > length) {
        fail(`body is longer than the announced ${length} bytes`);
      }
      if (received === length) {
        // Hold the final bytes back until the body is known to end here.
        for (;;) {
          const next = await read();
          if (next.done) break;
          if (next.value.length > 0) {
            fail(`body is longer than the announced ${length} bytes`);
          }
        }
        yield value;
        return;
      }
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
