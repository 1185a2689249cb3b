/**
 * Restore in the browser over the JSON API (docs/api.md, "Restore"): prove
 * the session key (1100), list the versions (1101) and fetch one (1102).
 * Bodies are the protocol's sealed frames; each opens with Web Crypto
 * AES-GCM under a key derived by HKDF-SHA256 from the session key and the
 * stream's salt. The plaintext goes to a sink as it arrives, and its cksum
 * is checked against the stored one before the sink is told to keep it.
 * @module
 */
import { CksumOver } from "../../server/crypto/crc32.ts";
import { decodeResponseHeader } from "../../server/protocol/client_codec.ts";
import {
  ResponseCode,
  RestoreRequestCode,
  RestoreResponseCode,
  RestoreSize,
  Size,
} from "../../server/protocol/constants.ts";
import {
  decodeFetchMeta,
  decodeRestoreResponse,
  decodeSealedHead,
  decodeVersionRecords,
  type FetchMeta,
  MAX_SEALED_PAYLOAD,
  proofMessage,
  type RestoreRequest,
  sealedAad,
  sealedNonce,
  streamKeyInfo,
  type VersionRecord,
} from "../../server/protocol/restore_codec.ts";
import { fromHex, toBase64Url } from "../../shared/encoding.ts";

export type { VersionRecord };

/** The part of a keyed session restore needs. */
export interface RestoreSession {
  token: string;
  rawKey: Uint8Array<ArrayBuffer>;
}

/** Where restored bytes go: kept only once `close()` is called. */
export interface RestoreSink {
  write(chunk: Uint8Array<ArrayBuffer>): Promise<void>;
  /** The content verified: keep it under its name. */
  close(): Promise<void>;
  /** The content failed or was abandoned: keep nothing. */
  abort(reason: string): Promise<void>;
}

/** A restore that failed; `message` is for people. */
export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RestoreError";
  }
}

/** The HMAC-SHA256 proof of 1100, base64url without padding. */
export async function restoreProof(
  rawKey: Uint8Array<ArrayBuffer>,
  clientIdHex: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    rawKey,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const tag = await crypto.subtle.sign(
    "HMAC",
    key,
    proofMessage(fromHex(clientIdHex)),
  );
  return toBase64Url(new Uint8Array(tag));
}

/** The AES-GCM key of the stream answering `request`. */
async function streamKey(
  rawKey: Uint8Array<ArrayBuffer>,
  salt: Uint8Array,
  request: RestoreRequest,
): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", rawKey, "HKDF", false, [
    "deriveKey",
  ]);
  return await crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(salt),
      info: streamKeyInfo(request),
    },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["decrypt"],
  );
}

/** Reads whole frames (7-byte header, payload) off a response body. */
class FrameReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer = new Uint8Array(0);

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  async #fill(n: number): Promise<boolean> {
    const parts: Uint8Array[] = [this.#buffer];
    let have = this.#buffer.length;
    while (have < n) {
      const { value, done } = await this.#reader.read();
      if (done) break;
      parts.push(value);
      have += value.length;
    }
    if (parts.length > 1) {
      const joined = new Uint8Array(have);
      let at = 0;
      for (const part of parts) {
        joined.set(part, at);
        at += part.length;
      }
      this.#buffer = joined;
    }
    return have >= n;
  }

  #take(n: number): Uint8Array<ArrayBuffer> {
    const bytes = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return bytes;
  }

  /** The next frame, or a RestoreError when the body ends inside one. */
  async next(): Promise<{ code: number; payload: Uint8Array<ArrayBuffer> }> {
    if (!await this.#fill(Size.RESPONSE_HEADER)) {
      throw new RestoreError(
        "The download ended early (the server failed or the connection broke); try again",
      );
    }
    const header = decodeResponseHeader(this.#take(Size.RESPONSE_HEADER));
    if (header.payloadSize > MAX_SEALED_PAYLOAD) {
      throw new RestoreError(
        `The server sent a frame of ${header.payloadSize} bytes; refusing it`,
      );
    }
    if (!await this.#fill(header.payloadSize)) {
      throw new RestoreError(
        "The download ended early (the server failed or the connection broke); try again",
      );
    }
    return { code: header.code, payload: this.#take(header.payloadSize) };
  }

  cancel(): void {
    this.#reader.cancel().catch(() => {});
  }
}

/** Opens the sealed frames of one stream, in order, after its 2101. */
class SealedStream {
  readonly #frames: FrameReader;
  readonly #key: CryptoKey;
  #seq = 0;
  #ended = false;

  private constructor(frames: FrameReader, key: CryptoKey) {
    this.#frames = frames;
    this.#key = key;
  }

  static async open(
    body: ReadableStream<Uint8Array>,
    rawKey: Uint8Array<ArrayBuffer>,
    request: RestoreRequest,
  ): Promise<SealedStream> {
    const frames = new FrameReader(body);
    const first = await frames.next();
    const begin = decodeRestoreResponse(first.code, first.payload);
    if (begin.code !== RestoreResponseCode.STREAM_BEGIN) {
      frames.cancel();
      throw new RestoreError(
        begin.code === RestoreResponseCode.REFUSED
          ? begin.message
          : `The server answered ${begin.code} instead of a stream`,
      );
    }
    return new SealedStream(
      frames,
      await streamKey(rawKey, begin.salt, request),
    );
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The plaintext of the next frame; undefined after the final one. */
  async next(): Promise<Uint8Array<ArrayBuffer> | undefined> {
    if (this.#ended) return undefined;
    const { code, payload } = await this.#frames.next();
    if (code !== RestoreResponseCode.SEALED) {
      throw new RestoreError(
        code === ResponseCode.SERVER_ERROR
          ? "The server failed while sending; try again"
          : `The server sent ${code} inside a stream`,
      );
    }
    const head = decodeSealedHead(payload);
    if (head.seq !== this.#seq) {
      throw new RestoreError(
        `Frame ${head.seq} arrived where frame ${this.#seq} was due`,
      );
    }
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: sealedNonce(head.seq),
          additionalData: sealedAad(head),
        },
        this.#key,
        payload.subarray(RestoreSize.SEALED_FIXED),
      );
    } catch {
      throw new RestoreError(
        `Frame ${head.seq} does not decrypt: it was altered on the way, or the session key is wrong`,
      );
    }
    this.#seq++;
    this.#ended = head.final;
    return new Uint8Array(plain);
  }

  cancel(): void {
    this.#frames.cancel();
  }
}

/** Calls the restore endpoints of one session. */
export interface RestoreTransport {
  proof(token: string, proof: string): Promise<unknown>;
  /** The body of a list or fetch, or a thrown error for a JSON refusal. */
  stream(token: string, path: string): Promise<ReadableStream<Uint8Array>>;
}

/** Every kept version of the client's names, by name then number. */
export async function listVersions(
  transport: RestoreTransport,
  session: RestoreSession,
  clientIdHex: string,
): Promise<VersionRecord[]> {
  const request: RestoreRequest = {
    code: RestoreRequestCode.LIST,
    clientId: fromHex(clientIdHex),
  };
  const body = await transport.stream(session.token, "/restore/list");
  const stream = await SealedStream.open(body, session.rawKey, request);
  const records: VersionRecord[] = [];
  for (let plain; (plain = await stream.next()) !== undefined;) {
    records.push(...decodeVersionRecords(plain));
  }
  return records;
}

/**
 * Fetches version `number` of `fileName` into `sink`, checking the frames'
 * tags as they come and the whole content's size and cksum at the end;
 * `sink.close()` only when both match, else `sink.abort()`.
 */
export async function fetchVersion(
  transport: RestoreTransport,
  session: RestoreSession,
  target: { clientIdHex: string; fileName: string; number: number },
  sink: RestoreSink,
  onProgress?: (done: number, size: number) => void,
): Promise<FetchMeta> {
  const request: RestoreRequest = {
    code: RestoreRequestCode.FETCH,
    clientId: fromHex(target.clientIdHex),
    fileName: target.fileName,
    version: target.number,
    offset: 0,
  };
  const query = new URLSearchParams({
    file: target.fileName,
    version: String(target.number),
  });
  let stream: SealedStream | undefined;
  try {
    const body = await transport.stream(
      session.token,
      `/restore/file?${query}`,
    );
    stream = await SealedStream.open(body, session.rawKey, request);
    const first = await stream.next();
    if (!first) throw new RestoreError("The stream ended before its metadata");
    const meta = decodeFetchMeta(first);
    const cksum = new CksumOver();
    let plain;
    while ((plain = await stream.next()) !== undefined) {
      cksum.update(plain);
      await sink.write(plain);
      onProgress?.(cksum.length, meta.size);
    }
    if (cksum.length !== meta.size || cksum.digest() !== meta.checksum) {
      throw new RestoreError(
        `Restored ${cksum.length} bytes with cksum ${cksum.digest()}; the server stored ${meta.size} bytes with cksum ${meta.checksum}. Nothing was kept`,
      );
    }
    await sink.close();
    return meta;
  } catch (error) {
    stream?.cancel();
    const message = error instanceof Error ? error.message : String(error);
    await sink.abort(message).catch(() => {});
    throw error instanceof RestoreError ? error : new RestoreError(message);
  }
}
