/**
 * Over quota, for the client states: a client whose kept versions weigh
 * more bytes, or count more versions, than its effective policy allows.
 * Built over the history work's storage (`db.versions.usage`,
 * `db.policies.effective`, declared in storage/types.ts); createOps finds
 * them on the database when it has them.
 * @module
 */
import { fromHex } from "../../shared/encoding.ts";
import type { ClientPolicy, ClientUsage } from "../storage/types.ts";
import type { QuotaCheck } from "./health.ts";

/** True when `usage` exceeds a quota of `policy` (a null quota is no limit). Pure. */
export function isOverQuota(
  usage: ClientUsage,
  policy: Pick<ClientPolicy, "quotaBytes" | "quotaVersions">,
): boolean {
  return (policy.quotaBytes !== null && usage.bytes > policy.quotaBytes) ||
    (policy.quotaVersions !== null && usage.versions > policy.quotaVersions);
}

/** A {@link QuotaCheck} over the version and policy storage. */
export function quotaCheck(
  versions: { usage(clientId: Uint8Array): ClientUsage },
  policies: { effective(clientId: Uint8Array): ClientPolicy },
): QuotaCheck {
  return (hex) => {
    const id = fromHex(hex);
    return isOverQuota(versions.usage(id), policies.effective(id));
  };
}

/**
 * The quota check over `db`'s version and policy storage when the database
 * has them (the history work adds them next to this one), else undefined:
 * no client is then over quota.
 */
export function quotaCheckOf(db: object): QuotaCheck | undefined {
  const parts = db as {
    versions?: { usage?: (id: Uint8Array) => ClientUsage };
    policies?: { effective?: (id: Uint8Array) => ClientPolicy };
  };
  const { versions, policies } = parts;
  if (
    typeof versions?.usage !== "function" ||
    typeof policies?.effective !== "function"
  ) return undefined;
  return quotaCheck(
    { usage: (id) => versions.usage!(id) },
    { effective: (id) => policies.effective!(id) },
  );
}
