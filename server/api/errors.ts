/**
 * Errors of the JSON API: a stable machine-readable code, a sentence for
 * people, and the HTTP status that fits. Every failure of the API leaves
 * through {@linkcode errorResponse}, so clients see one shape.
 * @module
 */

/** Every error code the API sends, with its HTTP status (see docs/api.md). */
export const ERRORS = {
  invalid_json: 400,
  invalid_name: 400,
  invalid_client_id: 400,
  invalid_public_key: 400,
  invalid_file_name: 400,
  invalid_packet: 400,
  length_mismatch: 400,
  upload_rejected: 400,
  invalid_proof: 400,
  invalid_version: 400,
  invalid_offset: 400,
  token_required: 401,
  session_expired: 401,
  reconnect_rejected: 403,
  forbidden_origin: 403,
  proof_invalid: 403,
  not_proven: 403,
  not_found: 404,
  no_such_file: 404,
  no_such_version: 404,
  bad_offset: 416,
  name_taken: 409,
  no_key: 409,
  session_busy: 409,
  out_of_sequence: 409,
  no_file_awaiting: 409,
  key_exchange_refused: 409,
  body_timeout: 408,
  length_required: 411,
  body_too_large: 413,
  packet_too_large: 413,
  file_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  too_many_sessions: 429,
  server_error: 500,
  unavailable: 500,
  over_quota: 507,
  shutting_down: 503,
} as const;

/** One of the API's error codes. */
export type ErrorCode = keyof typeof ERRORS;

/** The JSON body of every error answer. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** A request the API refuses; thrown by parsers and operations, caught at the edge. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  /** Seconds a client should wait before trying again (429). */
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ApiError";
    this.code = code;
    this.retryAfter = options.retryAfter;
  }

  /** The HTTP status of this error's code. */
  get status(): number {
    return ERRORS[this.code];
  }
}

/** A JSON response, never cached: API answers belong to one session. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
    },
  });
}

/** The answer for a refused request. */
export function errorResponse(error: ApiError): Response {
  const body: ErrorBody = { code: error.code, message: error.message };
  const response = jsonResponse(body, error.status);
  if (error.retryAfter !== undefined) {
    response.headers.set("retry-after", String(Math.ceil(error.retryAfter)));
  }
  if (error.status === 401) {
    response.headers.set("www-authenticate", 'Bearer realm="cyberbackup"');
  }
  return response;
}
