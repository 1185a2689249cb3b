/**
 * What the server tells people about: client state changes and server
 * events. Plain JSON, the body of a webhook and the source of a mail.
 * @module
 */
import type { ClientState } from "./state.ts";

/** A client's state now, for a notification or the daily summary. */
export interface ClientStatus {
  id: string;
  name: string;
  state: ClientState;
  reason: string;
  lastSuccessAt: string | null;
  bytes: number;
}

/** Something to notify about. */
export type OpsEvent =
  | {
    type: "client.state";
    client: { id: string; name: string };
    state: ClientState;
    /** null when the server first sees the client (not ok). */
    previous: ClientState | null;
    reason: string;
    /** When the client entered this state (ISO-8601). */
    since: string;
    /** True when this repeats an earlier notification of the same state. */
    renotify: boolean;
  }
  | { type: "disk.low"; freeBytes: number; watermark: number }
  | { type: "disk.ok"; freeBytes: number; watermark: number }
  | { type: "retention.error"; message: string; client?: string }
  | { type: "gc.error"; message: string }
  | { type: "server.start"; version: string }
  | { type: "server.stop"; version: string }
  | { type: "test"; by: string }
  | {
    type: "summary.daily";
    day: string;
    counts: Record<ClientState, number>;
    storedBytes: number;
    /** Failed upload attempts in the last 24 h. */
    failures: number;
    attention: ClientStatus[];
  };

/** The type names, for filters and the delivery log. */
export type OpsEventType = OpsEvent["type"];
