/**
 * What a client's backup history weighs, for its page: versions and bytes
 * before deduplication (what quotas count), what deduplication saves within
 * it, and its quotas.
 * @module
 */
import type { BackupStorage, ClientUsage } from "../storage/types.ts";
import { type QuotaGauge, quotaGauge } from "./quota.ts";

/** A client's history figures. */
export interface ClientHistory {
  /** Kept versions and their bytes before deduplication. */
  usage: ClientUsage;
  /** Bytes of the distinct contents those versions hold: what they would take stored alone. */
  distinctBytes: number;
  quota: { bytes: QuotaGauge; versions: QuotaGauge };
}

/** The history figures of client `id`. */
export function clientHistory(
  db: Pick<BackupStorage, "versions" | "policies">,
  id: Uint8Array,
): ClientHistory {
  const usage = db.versions.usage(id);
  const policy = db.policies.effective(id);
  return {
    usage,
    distinctBytes: db.versions.distinctBytes(id),
    quota: {
      bytes: quotaGauge(usage.bytes, policy.quotaBytes),
      versions: quotaGauge(usage.versions, policy.quotaVersions),
    },
  };
}

/** Bytes deduplication saves out of `logical`, and that as a fraction (0 when empty). */
export function savings(
  logical: number,
  stored: number,
): { bytes: number; fraction: number } {
  const bytes = Math.max(0, logical - stored);
  return { bytes, fraction: logical > 0 ? bytes / logical : 0 };
}

/** Where a client's retention and quota are set. */
export function retentionHref(clientHex: string): string {
  return `/retention?client=${clientHex}`;
}
