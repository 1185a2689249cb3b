/**
 * The JSON shape of live statistics, shared by the server (Stats, SSE,
 * /api/v1/status, /metrics) and the browser islands. Types only, so the
 * island bundle can import it without pulling in server code.
 * @module
 */

/** An upload in flight, as the dashboard shows it. */
export interface ActiveTransfer {
  transfer: string;
  client: string;
  name: string;
  file: string;
  /** Ciphertext bytes received so far. */
  bytes: number;
  /** Size of the whole ciphertext. */
  total: number;
  attempt: number;
  startedAt: number;
}

/** One line of the recent-activity feed. */
export interface ActivityItem {
  /** Increasing number, unique within the process (stable key for lists). */
  id: number;
  time: number;
  kind:
    | "registered"
    | "reconnected"
    | "key"
    | "verified"
    | "failed"
    | "aborted"
    | "refused"
    | "error";
  text: string;
}

/** Everything the live parts of the portal show, at one instant. */
export interface StatsSnapshot {
  /** Epoch milliseconds when the snapshot was taken. */
  time: number;
  startedAt: number;
  uptimeMs: number;
  connections: {
    active: number;
    /** The configured limit. */
    max: number;
    available: number;
    /** Most connections at once since start. */
    peak: number;
    total: number;
    refused: number;
  };
  registeredClients: number;
  verifiedFiles: number;
  bytesReceived: number;
  transfers: {
    active: ActiveTransfer[];
    started: number;
    verified: number;
    failed: number;
    aborted: number;
  };
  /** Bytes received per second, oldest first; the last entry is the current second. */
  throughput: number[];
  /** Newest first. */
  activity: ActivityItem[];
  /** Error responses sent, by response code. */
  errors: Record<string, number>;
  /**
   * Uploads received, by `dialectLabel()` (docs/protocol.md, "Dialects");
   * only dialects seen so far.
   */
  uploadDialects: Record<string, number>;
}
