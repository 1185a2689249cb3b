/**
 * Over quota, for the client states: a client whose kept versions weigh
 * more bytes, or count more versions, than its effective policy allows.
 * Built over the history work's storage (`db.versions.usage`,
 * `db.policies.effective`); server/serve.ts passes it to createOps once
 * those exist.
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
