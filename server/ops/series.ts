/**
 * Chart series from the database's rows: days and hours filled in where
 * nothing happened, clients beyond the largest few folded into "others".
 * Pure.
 * @module
 */
import type {
  DailyBytes,
  DailyOutcomes,
  HourlyBytes,
} from "../storage/ops_types.ts";

/** One named series of values, one per label. */
export interface Series {
  name: string;
  values: number[];
}

/** Labels and their series, for a chart. */
export interface ChartData {
  labels: string[];
  series: Series[];
}

/** The `count` UTC days ending with the day of `now`, as YYYY-MM-DD. */
export function lastDays(now: number, count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      new Date(now - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

/** The `count` UTC hours ending with the hour of `now`, as YYYY-MM-DDTHH. */
export function lastHours(now: number, count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      new Date(now - (count - 1 - i) * 3600_000).toISOString().slice(0, 13),
  );
}

/** Verified and failed uploads on each of `days`. */
export function outcomesByDay(
  rows: readonly DailyOutcomes[],
  days: readonly string[],
): ChartData {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return {
    labels: [...days],
    series: [
      {
        name: "verified",
        values: days.map((d) => Number(byDay.get(d)?.verified ?? 0)),
      },
      {
        name: "failed",
        values: days.map((d) => Number(byDay.get(d)?.failed ?? 0)),
      },
    ],
  };
}

/**
 * Stored bytes per day of the `top` largest clients (by their last
 * figure) and of the rest as "others"; a day without a record repeats the
 * day before (the watcher records once a day at least while it runs).
 */
export function storageByDay(
  rows: readonly DailyBytes[],
  days: readonly string[],
  top: number,
): ChartData {
  const perClient = new Map<
    string,
    { name: string; byDay: Map<string, number> }
  >();
  for (const r of rows) {
    const entry = perClient.get(r.id) ??
      { name: r.name, byDay: new Map<string, number>() };
    entry.byDay.set(r.day, Number(r.bytes));
    perClient.set(r.id, entry);
  }
  const filled = [...perClient.values()].map(({ name, byDay }) => {
    let last = 0;
    return {
      name,
      values: days.map((d) => last = byDay.get(d) ?? last),
    };
  });
  filled.sort((a, b) => (b.values.at(-1) ?? 0) - (a.values.at(-1) ?? 0));
  const series = filled.slice(0, top);
  const rest = filled.slice(top);
  if (rest.length > 0) {
    series.push({
      name: `${rest.length} others`,
      values: days.map((_, i) => rest.reduce((s, r) => s + r.values[i], 0)),
    });
  }
  return { labels: [...days], series };
}

/** Mean throughput (bytes per second) of each of `hours`. */
export function throughputByHour(
  rows: readonly HourlyBytes[],
  hours: readonly string[],
): ChartData {
  const byHour = new Map(rows.map((r) => [r.hour, Number(r.bytes)]));
  return {
    labels: [...hours],
    series: [{
      name: "bytes/s",
      values: hours.map((h) => (byHour.get(h) ?? 0) / 3600),
    }],
  };
}
