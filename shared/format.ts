/**
 * Number and time formatting shared by the command-line client, the
 * portal's server-rendered pages and the islands (pure, no DOM, no Deno),
 * so all of them print the same text.
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 1536 -> "1.50 KiB": powers of 1024 with their IEC names. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
    return "–";
  }
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Bytes per second as "12.3 MiB/s". */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** 93784000 -> "1d 2h 3m"; under a minute "42s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days) return `${days}d ${hours}h ${minutes}m`;
  if (hours) return `${hours}h ${minutes}m`;
  if (minutes) return `${minutes}m ${seconds}s`;
  return `${seconds}s`;
}

/** Group digits: 12345 -> "12,345". */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** ISO-8601 (or epoch ms) to "2024-05-01 13:45:10 UTC"; "–" when missing or unparsable. */
export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "–";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Like {@link formatTime} without the seconds, "2024-05-01 13:45 UTC", for table cells. */
export function formatMinute(
  value: string | number | null | undefined,
): string {
  const full = formatTime(value);
  return full.endsWith(" UTC") ? `${full.slice(0, 16)} UTC` : full;
}

/** Epoch ms to "13:45:10" (UTC), for dense live lists. */
export function formatClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** 0.256 -> "26%". */
export function formatPercent(fraction: number): string {
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

/** Mean bytes per second over the last `seconds` complete seconds of a throughput history. */
export function recentRate(history: readonly number[], seconds = 10): number {
  const complete = history.slice(0, -1).slice(-seconds);
  return complete.length
    ? complete.reduce((a, b) => a + b, 0) / complete.length
    : 0;
}
