/**
 * The restore operations of the JSON API (docs/api.md, "Restore"): the key
 * proof (1100), the list (1101) and a fetch (1102), run by the session
 * core exactly as over TCP. List and fetch answer with the protocol's own
 * frames as the body, streamed as the browser reads them: the core reads
 * the next frame from disk only when the body asks for it.
 * @module
 */
import {
  MAX_U32,
  ResponseCode,
  RestoreRequestCode,
  RestoreResponseCode,
  RestoreSize,
} from "../protocol/constants.ts";
import {
  encodeRestoreResponse,
  RefusalReason,
  type RestoreRequest,
} from "../protocol/restore_codec.ts";
import type { RestoreAnswer } from "../session/handlers/restore.ts";
import type { Refusal } from "../session/session.ts";
import { fromBase64 } from "../../shared/encoding.ts";
import { ApiError, type ErrorCode } from "./errors.ts";
import { serverFailure } from "./keys.ts";
import { parseFileName } from "./params.ts";
import type { ApiSession, SessionRegistry } from "./sessions.ts";

/**
 * Streams one session may run at once: each holds an open file and two
 * frame buffers until its body is read, so a session cannot pile them up.
 */
export const MAX_STREAMS_PER_SESSION = 2;
const streaming = new WeakMap<ApiSession, number>();

const REFUSALS: Record<number, ErrorCode> = {
  [RefusalReason.NO_SUCH_FILE]: "no_such_file",
  [RefusalReason.NO_SUCH_VERSION]: "no_such_version",
  [RefusalReason.BAD_OFFSET]: "bad_offset",
  [RefusalReason.UNAVAILABLE]: "unavailable",
};

function requireKey(session: ApiSession, action: string): Uint8Array {
  if (!session.core.view.aesKey) {
    throw new ApiError(
      "no_key",
      `Cannot ${action}: exchange keys or reconnect first`,
    );
  }
  return session.identity.clientId;
}

/** `POST /api/v1/restore/proof` (1100). */
export function proveKey(
  registry: SessionRegistry,
  input: { session: ApiSession; body: Record<string, unknown> },
): Promise<{ clientId: string; proven: true }> {
  const { session } = input;
  let proof: Uint8Array | undefined;
  const text = input.body.proof;
  if (typeof text === "string" && /^[A-Za-z0-9_-]{43}$/.test(text)) {
    proof = fromBase64(text.replaceAll("-", "+").replaceAll("_", "/") + "=");
  }
  if (!proof || proof.length !== RestoreSize.PROOF) {
    throw new ApiError(
      "invalid_proof",
      "Cannot read proof: send 32 bytes as base64url without padding",
    );
  }
  return session.run(async () => {
    const clientId = requireKey(session, "prove the key");
    const { response, refusal } = await session.core.restore({
      code: RestoreRequestCode.PROVE_KEY,
      clientId,
      proof: proof!,
    });
    if (response.code === RestoreResponseCode.KEY_PROVEN) {
      return { clientId: session.identity.hex, proven: true as const };
    }
    if (refusal?.cause === "refused") {
      throw new ApiError(
        "proof_invalid",
        "Cannot prove the key: the proof is wrong, or an earlier one of this session was; reconnect for a new session",
      );
    }
    throw serverFailure(session, "prove the key", refusal);
  }, () => registry.now());
}

/** The fetch's query: `file`, optional `version` and `offset`. */
export function parseFetchParams(
  params: URLSearchParams,
): { fileName: string; version: number; offset: number } {
  const number = (name: string, code: ErrorCode) => {
    const text = params.get(name);
    if (text === null || text === "") return 0;
    const value = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
    if (!(value <= MAX_U32)) {
      throw new ApiError(
        code,
        `Cannot read "${name}": an integer from 0 to ${MAX_U32}`,
      );
    }
    return value;
  };
  return {
    fileName: parseFileName(params.get("file")),
    version: number("version", "invalid_version"),
    offset: number("offset", "invalid_offset"),
  };
}

/** `GET /api/v1/restore/list` (1101). */
export function list(
  registry: SessionRegistry,
  session: ApiSession,
): Promise<Response> {
  return stream(registry, session, (clientId) => ({
    code: RestoreRequestCode.LIST,
    clientId,
  }));
}

/** `GET /api/v1/restore/file` (1102). */
export function fetchFile(
  registry: SessionRegistry,
  input: { session: ApiSession; params: URLSearchParams },
): Promise<Response> {
  const fields = parseFetchParams(input.params);
  return stream(registry, input.session, (clientId) => ({
    code: RestoreRequestCode.FETCH,
    clientId,
    ...fields,
  }));
}

/** Runs a list or fetch in the core and turns its answer into the HTTP answer. */
async function stream(
  registry: SessionRegistry,
  session: ApiSession,
  build: (clientId: Uint8Array) => RestoreRequest,
): Promise<Response> {
  const answer = await session.run(async () => {
    const request = build(requireKey(session, "restore"));
    if ((streaming.get(session) ?? 0) >= MAX_STREAMS_PER_SESSION) {
      throw new ApiError(
        "session_busy",
        `Cannot restore: this session already streams ${MAX_STREAMS_PER_SESSION} bodies; read or cancel one first`,
      );
    }
    const served = await session.core.restore(request);
    failUnlessStream(session, served);
    streaming.set(session, (streaming.get(session) ?? 0) + 1);
    return served;
  }, () => registry.now());
  const ended = () => {
    streaming.set(session, (streaming.get(session) ?? 1) - 1);
    session.lastUsed = registry.now();
  };
  return new Response(body(answer, ended), {
    headers: {
      "content-type": "application/octet-stream",
      "cache-control": "no-store",
    },
  });
}

function failUnlessStream(
  session: ApiSession,
  served: RestoreAnswer & { refusal?: Refusal },
): void {
  const { response, refusal } = served;
  if (response.code === RestoreResponseCode.STREAM_BEGIN) return;
  if (response.code === RestoreResponseCode.REFUSED) {
    throw new ApiError(
      REFUSALS[response.reason] ?? "not_found",
      response.message,
    );
  }
  if (
    response.code === ResponseCode.SERVER_ERROR && refusal?.cause === "refused"
  ) {
    throw new ApiError(
      "not_proven",
      "Cannot restore: prove the session key first (POST /api/v1/restore/proof)",
    );
  }
  throw serverFailure(session, "restore", refusal);
}

/** The 2101 frame, then each sealed frame as the reader pulls it. */
function body(
  answer: RestoreAnswer,
  onEnd: () => void,
): ReadableStream<Uint8Array> {
  const frames = answer.frames!;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    answer.close?.();
    onEnd();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encodeRestoreResponse(answer.response));
    },
    async pull(controller) {
      try {
        const next = await frames.next();
        if (next.done) {
          end();
          controller.close();
        } else controller.enqueue(next.value.slice()); // frames reuse buffers
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    async cancel() {
      await frames.return();
      end();
    },
  }, { highWaterMark: 1 });
}
