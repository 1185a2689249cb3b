/**
 * A client's use of its quota as the portal shows it: how full, and whether
 * to warn (from 90 %) or to say it is over.
 * @module
 */

/** From this fraction of a quota on, the portal warns. */
export const QUOTA_WARNING = 0.9;

/** "none": no quota; "ok"; "warn": at least 90 % used; "over": past the quota. */
export type QuotaLevel = "none" | "ok" | "warn" | "over";

/** One quota (bytes or versions) against what is used of it. */
export interface QuotaGauge {
  used: number;
  /** null: no quota. */
  limit: number | null;
  /** used / limit (may pass 1); 0 without a quota. */
  fraction: number;
  level: QuotaLevel;
}

/** How full a quota of `limit` is with `used`; a null limit is no quota. */
export function quotaGauge(used: number, limit: number | null): QuotaGauge {
  if (limit === null) return { used, limit, fraction: 0, level: "none" };
  const fraction = limit > 0 ? used / limit : used > 0 ? Infinity : 1;
  const level = used > limit
    ? "over"
    : fraction >= QUOTA_WARNING
    ? "warn"
    : "ok";
  return { used, limit, fraction, level };
}

/** The worse of two levels, for a single badge over both quotas. */
export function worseLevel(a: QuotaLevel, b: QuotaLevel): QuotaLevel {
  const order: QuotaLevel[] = ["none", "ok", "warn", "over"];
  return order[Math.max(order.indexOf(a), order.indexOf(b))];
}

/** 0.934 -> "93%", 1.25 -> "125%" (not capped: an over-quota client shows how far over). */
export function quotaPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${Math.round(fraction * 100)}%` : "∞%";
}
