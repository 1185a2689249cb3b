/**
 * {@link OpsStorage} over SQLite: client facts for the health states, the
 * recorded states, settings, the delivery log and the chart series.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type {
  ClientFactsRow,
  DailyBytes,
  DailyOutcomes,
  DeliveryRow,
  HourlyBytes,
  OpsStorage,
  RecordedState,
} from "../ops_types.ts";
import type { TransferOutcome } from "../types.ts";
import { marks } from "./paging.ts";

type Finished = Exclude<TransferOutcome, "in_progress">;

function unhex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** {@link OpsStorage} over one SQLite connection. */
export class SqliteOps implements OpsStorage {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  facts(
    keySince: string,
    attempts: { count: number; since: string },
    clientIds?: readonly Uint8Array[],
  ): ClientFactsRow[] {
    const attemptsSince = attempts.since;
    const only = clientIds
      ? `IN (${marks(clientIds.length) || "NULL"})`
      : undefined;
    const ids = clientIds ?? [];
    // Each table aggregated once, grouped by client, then joined: a
    // correlated subquery per client lets the planner pick the Outcome
    // index and scan every transfer once per client. The last success is
    // the newest verified files row (a verified upload always writes one).
    const rows = this.#db.prepare(
      `SELECT lower(hex(c.ID)) AS id, c.Name AS name, c.CreatedAt AS registeredAt,
         f.last AS lastSuccessAt, coalesce(k.n, 0) AS keyFailures,
         coalesce(f.bytes, 0) AS bytes, e.IntervalSeconds AS intervalSeconds
       FROM clients c
       LEFT JOIN (SELECT ID, max(StoredAt) AS last, sum(Size) AS bytes FROM files
                  WHERE Verified = 1 ${only ? `AND ID ${only}` : ""}
                  GROUP BY ID) f ON f.ID = c.ID
       LEFT JOIN (SELECT ClientID, count(*) AS n FROM key_failures
                  WHERE At > ? GROUP BY ClientID) k ON k.ClientID = c.ID
       LEFT JOIN ops_expectations e ON e.ClientID = c.ID
       ${only ? `WHERE c.ID ${only}` : ""}`,
    ).all(...ids, keySince, ...ids) as Record<
      string,
      string | number | null
    >[];
    // The last `attempts` finished attempts of every client in one pass,
    // over the attempts since `attemptsSince` only (the started index).
    const outcomes = new Map<string, Finished[]>();
    const recent = this.#db.prepare(
      `SELECT id, outcome FROM (
         SELECT lower(hex(ClientID)) AS id, Outcome AS outcome,
           row_number() OVER (PARTITION BY ClientID ORDER BY TransferID DESC) AS n
         FROM transfers WHERE StartedAt >= ? AND Outcome != 'in_progress'
         ${only ? `AND ClientID ${only}` : ""})
       WHERE n <= ? ORDER BY id, n`,
    ).all(attemptsSince, ...ids, attempts.count) as {
      id: string;
      outcome: Finished;
    }[];
    for (const { id, outcome } of recent) {
      const list = outcomes.get(id) ?? [];
      list.push(outcome);
      outcomes.set(id, list);
    }
    return rows.map((r) => ({
      id: String(r.id),
      name: String(r.name),
      registeredAt: r.registeredAt === null ? null : String(r.registeredAt),
      lastSuccessAt: r.lastSuccessAt === null ? null : String(r.lastSuccessAt),
      recentOutcomes: outcomes.get(String(r.id)) ?? [],
      keyFailures: Number(r.keyFailures),
      bytes: Number(r.bytes),
      intervalSeconds: r.intervalSeconds === null
        ? null
        : Number(r.intervalSeconds),
    }));
  }

  setInterval(clientId: Uint8Array, seconds: number | null): boolean {
    const exists = this.#db.prepare("SELECT 1 FROM clients WHERE ID = ?")
      .get(clientId);
    if (!exists) return false;
    if (seconds === null) {
      this.#db.prepare("DELETE FROM ops_expectations WHERE ClientID = ?")
        .run(clientId);
    } else {
      this.#db.prepare(
        `INSERT INTO ops_expectations (ClientID, IntervalSeconds) VALUES (?, ?)
         ON CONFLICT (ClientID) DO UPDATE SET IntervalSeconds = excluded.IntervalSeconds`,
      ).run(clientId, seconds);
    }
    return true;
  }

  states(): RecordedState[] {
    return this.#db.prepare(
      `SELECT lower(hex(ClientID)) AS id, State AS state, Reason AS reason,
         Since AS since, NotifiedAt AS notifiedAt FROM ops_client_states`,
    ).all() as unknown as RecordedState[];
  }

  saveState(s: RecordedState): void {
    this.#db.prepare(
      `INSERT INTO ops_client_states (ClientID, State, Reason, Since, NotifiedAt)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (ClientID) DO UPDATE SET State = excluded.State,
         Reason = excluded.Reason, Since = excluded.Since,
         NotifiedAt = excluded.NotifiedAt`,
    ).run(unhex(s.id), s.state, s.reason, s.since, s.notifiedAt);
  }

  pruneStates(): void {
    this.#db.exec(
      `DELETE FROM ops_client_states WHERE ClientID NOT IN (SELECT ID FROM clients);
       DELETE FROM ops_expectations WHERE ClientID NOT IN (SELECT ID FROM clients);`,
    );
  }

  settings(): Record<string, string> {
    const rows = this.#db.prepare("SELECT Key, Value FROM settings").all() as {
      Key: string;
      Value: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.Key, r.Value]));
  }

  saveSettings(values: Record<string, string>): void {
    const put = this.#db.prepare(
      `INSERT INTO settings (Key, Value) VALUES (?, ?)
       ON CONFLICT (Key) DO UPDATE SET Value = excluded.Value`,
    );
    const remove = this.#db.prepare("DELETE FROM settings WHERE Key = ?");
    for (const [key, value] of Object.entries(values)) {
      if (value === "") remove.run(key);
      else put.run(key, value);
    }
  }

  recordDelivery(row: Omit<DeliveryRow, "id">): number {
    const result = this.#db.prepare(
      `INSERT INTO ops_deliveries (At, Channel, Event, Target, Status, Attempts, Detail)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      row.at,
      row.channel,
      row.event,
      row.target,
      row.status,
      row.attempts,
      row.detail,
    );
    // Bounded: the log keeps the newest ten thousand.
    this.#db.prepare(
      "DELETE FROM ops_deliveries WHERE ID <= ? - 10000",
    ).run(result.lastInsertRowid);
    return Number(result.lastInsertRowid);
  }

  deliveries(limit: number): DeliveryRow[] {
    return this.#db.prepare(
      `SELECT ID AS id, At AS at, Channel AS channel, Event AS event,
         Target AS target, Status AS status, Attempts AS attempts, Detail AS detail
       FROM ops_deliveries ORDER BY ID DESC LIMIT ?`,
    ).all(limit) as unknown as DeliveryRow[];
  }

  recordDailyBytes(day: string): void {
    // Grouped once: a correlated sum per client may scan every verified file per client.
    this.#db.prepare(
      `INSERT INTO ops_daily_bytes (Day, ClientID, Bytes)
       SELECT ?, c.ID, coalesce(f.bytes, 0)
       FROM clients c LEFT JOIN (SELECT ID, sum(Size) AS bytes FROM files
                                 WHERE Verified = 1 GROUP BY ID) f ON f.ID = c.ID
       WHERE true
       ON CONFLICT (Day, ClientID) DO UPDATE SET Bytes = excluded.Bytes`,
    ).run(day);
  }

  dailyBytes(sinceDay: string, top: number): DailyBytes[] {
    // The largest clients by their latest figure, each on its own; the rest
    // summed per day under the id "" (thousands of lines would say nothing).
    const largest = this.#db.prepare(
      `SELECT ClientID FROM ops_daily_bytes
       WHERE Day = (SELECT max(Day) FROM ops_daily_bytes)
       ORDER BY Bytes DESC LIMIT ?`,
    ).all(top).map((r) => r.ClientID as Uint8Array);
    const places = marks(largest.length) || "NULL";
    const own = this.#db.prepare(
      `SELECT d.Day AS day, lower(hex(d.ClientID)) AS id,
         coalesce(c.Name, '(deleted)') AS name, d.Bytes AS bytes
       FROM ops_daily_bytes d LEFT JOIN clients c ON c.ID = d.ClientID
       WHERE d.Day >= ? AND d.ClientID IN (${places}) ORDER BY d.Day`,
    ).all(sinceDay, ...largest) as unknown as DailyBytes[];
    const rest = this.#db.prepare(
      `SELECT Day AS day, '' AS id, count(*) || ' others' AS name, sum(Bytes) AS bytes
       FROM ops_daily_bytes WHERE Day >= ? AND ClientID NOT IN (${places})
       GROUP BY Day ORDER BY Day`,
    ).all(sinceDay, ...largest) as unknown as DailyBytes[];
    return [...own, ...rest];
  }

  dailyOutcomes(since: string): DailyOutcomes[] {
    return this.#db.prepare(
      `SELECT substr(StartedAt, 1, 10) AS day,
         sum(Outcome = 'verified') AS verified,
         sum(Outcome IN ('failed', 'aborted', 'interrupted')) AS failed
       FROM transfers WHERE StartedAt >= ? GROUP BY day ORDER BY day`,
    ).all(since) as unknown as DailyOutcomes[];
  }

  hourlyBytes(since: string): HourlyBytes[] {
    return this.#db.prepare(
      `SELECT substr(FinishedAt, 1, 13) AS hour, sum(Bytes) AS bytes
       FROM transfers WHERE FinishedAt >= ? GROUP BY hour ORDER BY hour`,
    ).all(since) as unknown as HourlyBytes[];
  }
}
