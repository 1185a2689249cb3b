/**
 * The state of one client session, which the handlers read and advance.
 * @module
 */
import { sameBytes } from "../../shared/encoding.ts";
import { ProtocolError } from "../protocol/messages.ts";
import type { ReceivedFile, Upload } from "./upload.ts";

/** Who the session speaks for, once registration or a key exchange said so. */
export interface Identity {
  clientId: Uint8Array;
  /** The id as 32 lowercase hex characters, for logs and events. */
  hex: string;
  name: string;
}

/** The transfers-table row of the file being uploaded, spanning its resends. */
export interface TransferRecord {
  id: number;
  fileName: string;
  attempt: number;
}

/** Mutable state of one session; owned by `Session`, advanced by handlers. */
export interface SessionState {
  identity?: Identity;
  /** The session AES key, after 1602 or 1605. */
  aesKey?: Uint8Array;
  upload?: Upload;
  /** A decrypted file waiting for 1029 / 1030 / 1031. */
  received?: ReceivedFile;
  transfer?: TransferRecord;
  /** Remaining packets of an upload that failed are dropped without answers. */
  discarding?: { fileName: string; totalPackets: number };
  /**
   * The client this session registered (hex): only that session may set its
   * public key once one is stored; a reconnect proves nothing (id and name
   * travel in clear), so it may not replace the key.
   */
  registered?: string;
  /**
   * An upload of this session failed to decrypt: whoever holds the
   * connection does not hold the key, so it may upload nothing more, even
   * after a new 1025 / 1027 on the same connection (key_failures.ts).
   */
  keyRejected?: boolean;
  /**
   * The session key a 1100 proved this session holds (restore extension):
   * list and fetch need it to be the current `aesKey`.
   */
  provenKey?: Uint8Array;
  /** A 1100 failed: this session may not restore (no second guess). */
  restoreBarred?: boolean;
}

/** The upload a session is receiving, as a transport may show it. */
export interface UploadProgress {
  readonly fileName: string;
  readonly totalPackets: number;
  readonly origFileSize: number;
  /** The packet number the upload takes next. */
  readonly nextPacket: number;
}

/**
 * What a transport may read of a session between requests; it changes only
 * through `Session.serve()` / `handle()`.
 */
export interface SessionView {
  readonly identity?: Readonly<Identity>;
  /** The session AES key, held in memory once 1602 / 1605 gave one. */
  readonly aesKey?: Uint8Array;
  readonly upload?: UploadProgress;
  /** The name of a received file waiting for 1029 / 1030 / 1031. */
  readonly awaitingVerdict?: string;
}

/**
 * The session's identity and key, when the request's client id is the one
 * that exchanged keys; a ProtocolError otherwise (e.g. 1028 before 1026).
 */
export function requireKeyed(
  state: SessionState,
  clientId: Uint8Array,
  action: string,
): { identity: Identity; aesKey: Uint8Array } {
  const { identity, aesKey } = state;
  if (state.keyRejected) {
    throw new ProtocolError(
      `Cannot ${action}: an upload of this session did not decrypt with its key`,
    );
  }
  if (!identity || !aesKey) {
    throw new ProtocolError(
      `Cannot ${action}: no key exchange in this session`,
    );
  }
  if (!sameBytes(identity.clientId, clientId)) {
    throw new ProtocolError(
      `Cannot ${action}: client id does not match the session's client ${identity.hex}`,
    );
  }
  return { identity, aesKey };
}
