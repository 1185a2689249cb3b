/**
 * Events that the protocol core reports as it serves clients. Workers post
 * them to the main thread, which folds them into live statistics.
 * Plain JSON-compatible objects so they cross `postMessage` unchanged.
 * @module
 */

import type { TransferOutcome } from "../storage/types.ts";

/** How an upload ended, as its session saw it ("interrupted" is set at the next start). */
export type EndedOutcome = Extract<
  TransferOutcome,
  "verified" | "failed" | "aborted"
>;

/** Something that happened in the protocol core. */
export type ServerEvent =
  | { type: "connect"; conn: string; remote: string }
  | { type: "disconnect"; conn: string }
  | { type: "refused"; remote: string; reason: string }
  | { type: "registered"; client: string; name: string }
  | { type: "key-exchanged"; client: string; name: string; reconnect: boolean }
  | {
    type: "transfer-start";
    /** Unique key of this transfer, stable across its events. */
    transfer: string;
    client: string;
    name: string;
    file: string;
    /** Size of the whole ciphertext. */
    total: number;
    attempt: number;
  }
  | { type: "transfer-progress"; transfer: string; bytes: number }
  | {
    /** A whole upload arrived (1603 sent); how the client sent it. */
    type: "upload-received";
    ivPrefix: boolean;
    sizes: "total" | "per-packet" | "either";
  }
  | {
    type: "transfer-end";
    transfer: string;
    client: string;
    file: string;
    outcome: EndedOutcome;
    bytes: number;
  }
  | {
    type: "error";
    response: number;
    message: string;
    /** "refused": the request was at fault; "failed": the server was (storage, database). */
    cause: "refused" | "failed";
  };

/** Where the core sends its events; the transport decides where they go. */
export type EventSink = (event: ServerEvent) => void;
