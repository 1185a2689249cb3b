/**
 * The restore extension (1100 prove key, 1101 list, 1102 fetch; see
 * docs/protocol.md, "Restore extension"). Lists and fetches are answered by
 * a stream: a 2101 response, then sealed 2102 frames the transport pulls
 * one at a time, so a fetch holds one frame in memory whatever the size.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { checkKeyProofTag } from "../../crypto/restore_keys.ts";
import { frameFor, StreamSealer } from "../../crypto/sealed_stream.ts";
import {
  ResponseCode,
  RestoreResponseCode,
  RestoreSize,
} from "../../protocol/constants.ts";
import { encodeResponse } from "../../protocol/codec.ts";
import { ProtocolError } from "../../protocol/messages.ts";
import {
  encodeFetchMeta,
  encodeVersionRecord,
  type FetchRequest,
  LIST_FRAME_BYTES,
  type ListRequest,
  type ProveKeyRequest,
  RefusalReason,
  type RestoreRequest,
  type RestoreResponse,
  SEALED_BODY_AT,
} from "../../protocol/restore_codec.ts";
import type { FileVersion } from "../../storage/types.ts";
import type { SessionContext } from "../context.ts";
import { type Identity, requireKeyed, type SessionState } from "../state.ts";

const logger = getLogger(["cyberbackup", "session"]);

/** Names read per database page while listing. */
const NAMES_PER_PAGE = 200;

/**
 * The first response to a restore request and, for a 2101, its frames:
 * each a whole encoded 2102 (or a 1607 that cuts the stream short), valid
 * only until the next frame is pulled (content frames reuse two buffers:
 * copy what you keep). Pull them in order; `return()` on the
 * iterator releases the file when the consumer stops early.
 */
export interface RestoreAnswer {
  response: RestoreResponse;
  frames?: AsyncGenerator<Uint8Array, void, undefined>;
  /**
   * Releases what the stream holds (its file) even when no frame was ever
   * pulled; call it once the transport is done, whatever happened.
   */
  close?: () => void;
}

/** A refusal a proven session may see (2103), with its reason. */
export class RestoreRefusal extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, message: string) {
    super(message);
    this.name = "RestoreRefusal";
    this.reason = reason;
  }
}

/** 1100: checks the proof and marks the session's key as proven. */
export function proveKey(
  state: SessionState,
  request: ProveKeyRequest,
): RestoreResponse {
  const { identity, aesKey } = requireKeyed(
    state,
    request.clientId,
    "prove the session key",
  );
  if (state.restoreBarred) {
    throw new ProtocolError(
      "Cannot prove the session key: a proof of this session already failed",
    );
  }
  if (!checkKeyProofTag(aesKey, identity.clientId, request.proof)) {
    state.restoreBarred = true;
    logger.error(
      "Security violation: restore key proof of client {client} is wrong; the session may not restore",
      { client: identity.hex, name: identity.name },
    );
    throw new ProtocolError("Cannot prove the session key: wrong proof");
  }
  state.provenKey = aesKey;
  logger.info("Client {client} proved its session key for restore", {
    client: identity.hex,
  });
  return { code: RestoreResponseCode.KEY_PROVEN, clientId: identity.clientId };
}

/** The identity and key of a session whose current key was proven by 1100. */
function requireProven(
  state: SessionState,
  request: RestoreRequest,
  action: string,
): { identity: Identity; aesKey: Uint8Array } {
  const keyed = requireKeyed(state, request.clientId, action);
  if (state.restoreBarred || state.provenKey !== keyed.aesKey) {
    throw new ProtocolError(
      `Cannot ${action}: the session has not proven its key (1100)`,
    );
  }
  return keyed;
}

function begin(
  identity: Identity,
  aesKey: Uint8Array,
  request: RestoreRequest,
): { response: RestoreResponse; sealer: StreamSealer } {
  const salt = crypto.getRandomValues(new Uint8Array(RestoreSize.SALT));
  return {
    response: {
      code: RestoreResponseCode.STREAM_BEGIN,
      clientId: identity.clientId,
      salt,
    },
    sealer: new StreamSealer({ aesKey, salt, request }),
  };
}

/** Any time the database holds, as the 24-character ISO form the wire carries. */
function wireTime(time: string): string {
  return new Date(time).toISOString();
}

/** 1101: every kept version of every name of the session's client. */
export function listVersions(
  state: SessionState,
  ctx: SessionContext,
  request: ListRequest,
): RestoreAnswer {
  const { identity, aesKey } = requireProven(state, request, "list versions");
  const { response, sealer } = begin(identity, aesKey, request);
  logger.info("Listing versions for client {client}", {
    client: identity.hex,
  });
  return { response, frames: sealFrames(sealer, listChunks(ctx, identity)) };
}

/** The list's plaintext, whole records of at most LIST_FRAME_BYTES per chunk. */
function* listChunks(
  ctx: SessionContext,
  identity: Identity,
): Generator<Uint8Array> {
  let chunk: Uint8Array[] = [];
  let size = 0;
  for (let page = 1;; page++) {
    const names = ctx.db.versions.names(identity.clientId, {
      page,
      pageSize: NAMES_PER_PAGE,
    });
    for (const { fileName } of names.rows) {
      for (const version of ctx.db.versions.list(identity.clientId, fileName)) {
        const record = encodeVersionRecord({
          fileName,
          number: version.number,
          size: version.size,
          checksum: version.checksum,
          blake3: version.blake3,
          storedAt: wireTime(version.storedAt),
          pinned: version.pinned,
        });
        if (size + record.length > LIST_FRAME_BYTES && size > 0) {
          yield concat(chunk, size);
          chunk = [];
          size = 0;
        }
        chunk.push(record);
        size += record.length;
      }
    }
    if (page * NAMES_PER_PAGE >= names.total || names.rows.length === 0) break;
  }
  yield concat(chunk, size);
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Seals plaintext chunks as frames, the last one final (one chunk of look-ahead). */
async function* sealFrames(
  sealer: StreamSealer,
  chunks: Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  let held: Uint8Array | undefined;
  try {
    for (const chunk of chunks) {
      if (held) yield sealer.frame(held, false);
      held = chunk;
    }
    yield sealer.frame(held ?? new Uint8Array(0), true);
  } catch (error) {
    yield failed(error, "list");
  }
}

/** A 1607 frame that ends a stream the server cannot finish. */
function failed(error: unknown, what: string): Uint8Array {
  logger.error("Restore stream ({what}) failed: {message}", {
    what,
    message: (error as Error).message,
    error,
  });
  return encodeResponse({ code: ResponseCode.SERVER_ERROR });
}

/** The version a fetch names: a number, or 0 for the newest kept one. */
function findVersion(
  ctx: SessionContext,
  identity: Identity,
  request: FetchRequest,
): FileVersion {
  const kept = request.version === 0
    ? ctx.db.versions.latest(identity.clientId, request.fileName)
    : ctx.db.versions.byNumber(
      identity.clientId,
      request.fileName,
      request.version,
    );
  if (kept && kept.trashedAt === null) return kept;
  const newest = ctx.db.versions.latest(identity.clientId, request.fileName);
  if (!newest) {
    throw new RestoreRefusal(
      RefusalReason.NO_SUCH_FILE,
      `Cannot restore "${request.fileName}": no backup of that name`,
    );
  }
  throw new RestoreRefusal(
    RefusalReason.NO_SUCH_VERSION,
    `Cannot restore "${request.fileName}": no version ${request.version}; the newest kept one is ${newest.number}`,
  );
}

/** 1102: one version's metadata, then its content from the offset on. */
export async function fetchVersion(
  state: SessionState,
  ctx: SessionContext,
  request: FetchRequest,
): Promise<RestoreAnswer> {
  const { identity, aesKey } = requireProven(state, request, "fetch a file");
  const version = findVersion(ctx, identity, request);
  if (request.offset > version.size) {
    throw new RestoreRefusal(
      RefusalReason.BAD_OFFSET,
      `Cannot restore "${request.fileName}" from byte ${request.offset}: version ${version.number} has ${version.size} bytes`,
    );
  }
  let file: Deno.FsFile;
  try {
    file = await ctx.store.objects.openObject(version.blake3);
  } catch (error) {
    logger.error(
      "Cannot open the content of {file} version {number} of {client}: {message}",
      {
        file: request.fileName,
        number: version.number,
        client: identity.hex,
        message: (error as Error).message,
      },
    );
    throw new RestoreRefusal(
      RefusalReason.UNAVAILABLE,
      `Cannot restore "${request.fileName}": its stored content cannot be read; tell the administrator`,
    );
  }
  const { response, sealer } = begin(identity, aesKey, request);
  logger.info(
    "Restoring {file} version {number} for client {client} from byte {offset}",
    {
      file: request.fileName,
      number: version.number,
      client: identity.hex,
      offset: request.offset,
    },
  );
  let open = true;
  const close = () => {
    if (open) file.close();
    open = false;
  };
  return {
    response,
    frames: contentFrames({
      sealer,
      file,
      version,
      offset: request.offset,
      close,
    }),
    close,
  };
}

/** Frame 0 (metadata), then the content from `offset`, read one frame at a time. */
async function* contentFrames(
  options: {
    sealer: StreamSealer;
    file: Deno.FsFile;
    version: FileVersion;
    offset: number;
    close: () => void;
  },
): AsyncGenerator<Uint8Array, void, undefined> {
  const { sealer, file, version, offset } = options;
  let pending: Promise<number> | undefined;
  try {
    const remaining = version.size - offset;
    yield sealer.frame(
      encodeFetchMeta({
        number: version.number,
        size: version.size,
        offset,
        checksum: version.checksum,
        blake3: version.blake3,
        storedAt: wireTime(version.storedAt),
      }),
      remaining === 0,
    );
    if (remaining === 0) return;
    await file.seek(offset, Deno.SeekMode.Start);
    // Two frames in turn: the next one is read from disk while the
    // transport sends this one (valid until the next pull, as documented).
    const frames = [0, 1].map(() =>
      frameFor(Math.min(RestoreSize.CONTENT_PER_FRAME, remaining))
    );
    const read = (frame: Uint8Array, at: number) => {
      const length = Math.min(RestoreSize.CONTENT_PER_FRAME, version.size - at);
      const reading = readFully(
        file,
        frame.subarray(SEALED_BODY_AT, SEALED_BODY_AT + length),
      ).then(() => length);
      // Settled even when the stream is dropped before awaiting it.
      reading.catch(() => {});
      return reading;
    };
    let position = offset;
    let turn = 0;
    let next: Promise<number> = read(frames[0], position);
    pending = next;
    while (position < version.size) {
      const frame = frames[turn];
      const length = await next;
      position += length;
      const last = position === version.size;
      turn = 1 - turn;
      if (!last) pending = next = read(frames[turn], position);
      yield sealer.sealFrame(frame, length, last);
    }
  } catch (error) {
    yield failed(error, `fetch of version ${version.id}`);
  } finally {
    // A read still in flight must end before its file closes.
    await pending?.catch(() => {});
    options.close();
  }
}

async function readFully(file: Deno.FsFile, target: Uint8Array): Promise<void> {
  let got = 0;
  while (got < target.length) {
    const n = await file.read(target.subarray(got));
    if (n === null) {
      throw new Error(
        `stored content ended after ${got} of ${target.length} bytes expected`,
      );
    }
    got += n;
  }
}
