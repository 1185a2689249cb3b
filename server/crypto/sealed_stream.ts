/**
 * Both ends of a restore stream (2101 then 2102 frames): the server seals
 * frames in order under the stream key, the client opens them and insists
 * on the order and on a final frame. Nonce and associated data follow
 * docs/protocol.md, "Restore extension".
 * @module
 */
import { RestoreSize } from "../protocol/constants.ts";
import {
  decodeSealedHead,
  type RestoreRequest,
  SEALED_BODY_AT,
  sealedAad,
  type SealedHead,
  sealedNonce,
  writeSealedHead,
} from "../protocol/restore_codec.ts";
import type { AesBackend } from "./aes_cbc.ts";
import { openInto, sealInto } from "./aes_gcm.ts";
import { streamKey } from "./restore_keys.ts";

/** What both ends of a stream derive its key from (docs/protocol.md, "Restore"). */
export interface StreamOptions {
  /** The session's AES key. */
  aesKey: Uint8Array;
  /** The 2101's random salt. */
  salt: Uint8Array;
  /** The request the stream answers. */
  request: RestoreRequest;
  backend?: AesBackend;
}

/** Seals the frames of one stream, numbering them from 0. */
export class StreamSealer {
  readonly #key: Uint8Array;
  readonly #backend?: AesBackend;
  #seq = 0;
  #ended = false;

  constructor(options: StreamOptions) {
    this.#key = streamKey(options.aesKey, options.salt, options.request);
    this.#backend = options.backend;
  }

  /**
   * A whole 2102 frame (header included) for `plain`, in a new array. Pass
   * `plainLength` instead to seal bytes the caller already placed at
   * `SEALED_BODY_AT` of a frame from `frameFor` (no copy).
   */
  frame(plain: Uint8Array, final: boolean): Uint8Array {
    const frame = frameFor(plain.length);
    frame.set(plain, SEALED_BODY_AT);
    return this.sealFrame(frame, plain.length, final);
  }

  /** Seals, in place, `plainLength` bytes at `SEALED_BODY_AT` of `frame`. */
  sealFrame(
    frame: Uint8Array,
    plainLength: number,
    final: boolean,
  ): Uint8Array {
    if (this.#ended) throw new Error("Cannot seal frame: the stream ended");
    const head: SealedHead = { seq: this.#seq++, final };
    this.#ended = final;
    const sealedLength = plainLength + RestoreSize.TAG;
    const whole = frame.subarray(0, SEALED_BODY_AT + sealedLength);
    writeSealedHead(whole, { ...head, sealedLength });
    const body = whole.subarray(SEALED_BODY_AT);
    sealInto(
      { key: this.#key, nonce: sealedNonce(head.seq), aad: sealedAad(head) },
      body.subarray(0, plainLength),
      body,
      { backend: this.#backend },
    );
    return whole;
  }
}

/** A frame with room for `plainLength` bytes of plaintext at SEALED_BODY_AT. */
export function frameFor(plainLength: number): Uint8Array {
  return new Uint8Array(SEALED_BODY_AT + plainLength + RestoreSize.TAG);
}

/** The stream ended without its final frame, or frames came out of order. */
export class StreamBrokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StreamBrokenError";
  }
}

/** Opens the frames of one stream in order (client side). */
export class StreamOpener {
  readonly #key: Uint8Array;
  readonly #backend?: AesBackend;
  #seq = 0;
  #ended = false;

  constructor(options: StreamOptions) {
    this.#key = streamKey(options.aesKey, options.salt, options.request);
    this.#backend = options.backend;
  }

  /** True once the final frame was opened. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Opens one 2102 payload (without the 7-byte header) into `out` when
   * given (else a new array); throws TagMismatchError for an altered frame
   * and StreamBrokenError for one out of order or after the final one.
   */
  open(
    payload: Uint8Array,
    out?: Uint8Array,
  ): SealedHead & { plain: Uint8Array } {
    const head = decodeSealedHead(payload);
    if (this.#ended) {
      throw new StreamBrokenError(
        "Cannot open frame: the stream already ended",
      );
    }
    if (head.seq !== this.#seq) {
      throw new StreamBrokenError(
        `Cannot open frame: expected frame ${this.#seq}, got ${head.seq}`,
      );
    }
    const sealed = payload.subarray(RestoreSize.SEALED_FIXED);
    const length = sealed.length - RestoreSize.TAG;
    const plain = out ? out.subarray(0, length) : new Uint8Array(length);
    openInto(
      { key: this.#key, nonce: sealedNonce(head.seq), aad: sealedAad(head) },
      sealed,
      plain,
      { backend: this.#backend },
    );
    this.#seq++;
    this.#ended = head.final;
    return { ...head, plain };
  }
}
