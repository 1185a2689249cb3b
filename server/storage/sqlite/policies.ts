/**
 * Retention and quota settings over SQLite (`client_policies`): the default
 * under Scope '*', per-client overrides under the client id in hex; a null
 * column inherits the default.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { toHex } from "../../../shared/encoding.ts";
import { get, type Row, run } from "../sql.ts";
import type { ClientPolicy, PolicyStorage } from "../types.ts";
import { marks } from "./paging.ts";

/** Each field of ClientPolicy and its column. */
const COLUMNS = {
  keepLast: "KeepLast",
  keepHourly: "KeepHourly",
  keepDaily: "KeepDaily",
  keepWeekly: "KeepWeekly",
  keepMonthly: "KeepMonthly",
  keepYearly: "KeepYearly",
  keepWithinSeconds: "KeepWithinSeconds",
  quotaBytes: "QuotaBytes",
  quotaVersions: "QuotaVersions",
} as const satisfies Record<keyof ClientPolicy, string>;

const FIELDS = Object.keys(COLUMNS) as (keyof ClientPolicy)[];
const NAMES = Object.values(COLUMNS);

/** A policy with no rule at all: what a scope without a row has. */
export const NO_POLICY: Readonly<ClientPolicy> = Object.freeze(
  Object.fromEntries(FIELDS.map((f) => [f, null])) as unknown as ClientPolicy,
);

/** The Scope of a client or of the default. */
function scopeOf(scope: "*" | Uint8Array): string {
  if (scope === "*") return scope;
  if (scope.length !== 16) {
    throw new RangeError(
      `Cannot use policy scope: client id has ${scope.length} bytes instead of 16`,
    );
  }
  return toHex(scope);
}

function toPolicy(row: Row): ClientPolicy {
  const policy = { ...NO_POLICY };
  for (const field of FIELDS) {
    const value = row[COLUMNS[field]];
    policy[field] = value === null ? null : Number(value);
  }
  return policy;
}

/** Throws a RangeError unless every rule is null or a non-negative safe integer. */
function checkPolicy(policy: ClientPolicy): void {
  for (const field of FIELDS) {
    const value = policy[field];
    if (value === null) continue;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot set policy: ${field} is ${value}, not a non-negative integer`,
      );
    }
  }
}

/** {@link PolicyStorage} over one SQLite connection. */
export class SqlitePolicies implements PolicyStorage {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  get(scope: "*" | Uint8Array): ClientPolicy | undefined {
    const row = get(
      "Cannot read policy",
      this.#db.prepare(
        `SELECT ${NAMES.join(", ")} FROM client_policies WHERE Scope = ?`,
      ),
      scopeOf(scope),
    );
    return row && toPolicy(row);
  }

  set(scope: "*" | Uint8Array, policy: ClientPolicy, now: string): void {
    checkPolicy(policy);
    const statement = this.#db.prepare(
      `INSERT OR REPLACE INTO client_policies (Scope, ${
        NAMES.join(", ")
      }, UpdatedAt)
       VALUES (?, ${marks(NAMES.length)}, ?)`,
    );
    const values = FIELDS.map((field) => policy[field]);
    run("Cannot set policy", statement, scopeOf(scope), ...values, now);
  }

  clear(clientId: Uint8Array): void {
    run(
      "Cannot clear policy",
      this.#db.prepare("DELETE FROM client_policies WHERE Scope = ?"),
      scopeOf(clientId),
    );
  }

  effective(clientId: Uint8Array): ClientPolicy {
    const own = this.get(clientId) ?? NO_POLICY;
    const fallback = this.get("*") ?? NO_POLICY;
    const policy = { ...NO_POLICY };
    for (const field of FIELDS) policy[field] = own[field] ?? fallback[field];
    return policy;
  }
}
