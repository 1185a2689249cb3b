/**
 * Messages between the main thread and the TCP workers.
 * @module
 */
import type { ServerConfig } from "../config.ts";
import type { ForwardedRecord } from "../logging.ts";
import type { ServerEvent } from "../stats/events.ts";

/** The part of the configuration a worker needs. */
export type WorkerConfig = Pick<
  ServerConfig,
  | "host"
  | "port"
  | "dataDir"
  | "maxPacketBytes"
  | "maxFileBytes"
  | "oaepHash"
  | "logLevel"
  | "maxPerAddress"
  | "authTimeoutMs"
  | "registerRate"
  | "minFreeBytes"
>;

/** Main thread to worker. */
export type ToWorker =
  | {
    type: "start";
    index: number;
    config: WorkerConfig;
    limits: SharedArrayBuffer;
    /** The pool's AddressLimits buffer. */
    addresses: SharedArrayBuffer;
  }
  | { type: "stop"; graceMs: number };

/** Worker to main thread. */
export type FromWorker =
  | { type: "listening" }
  | { type: "failed"; message: string }
  | { type: "event"; event: ServerEvent }
  | { type: "log"; record: ForwardedRecord }
  | { type: "stopped" };
