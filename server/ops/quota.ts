/**
 * Over quota, for the client states: a client whose kept versions weigh
 * more bytes, or count more versions, than its effective policy allows.
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

/**
 * A {@link QuotaCheck} over the version and policy storage. The policy is
 * read first: a client without quotas costs no scan of its versions.
 */
export function quotaCheck(
  versions: { usage(clientId: Uint8Array): ClientUsage },
  policies: { effective(clientId: Uint8Array): ClientPolicy },
): QuotaCheck {
  return (hex) => {
    const id = fromHex(hex);
    const policy = policies.effective(id);
    if (policy.quotaBytes === null && policy.quotaVersions === null) {
      return false;
    }
    return isOverQuota(versions.usage(id), policy);
  };
}
