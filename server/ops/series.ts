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
 * Stored bytes per day of each client in `rows` (the largest few, and the
 * others summed under the id ""), largest first, others last; a day
 * without a record repeats the day before (the watcher records the day's
 * figure while it runs).
 */
export function storageByDay(
  rows: readonly DailyBytes[],
  days: readonly string[],
): ChartData {
  const perClient = new Map<
    string,
    { name: string; byDay: Map<string, number> }
  >();
  for (const r of rows) {
    const entry = perClient.get(r.id) ??
      { name: r.name, byDay: new Map<string, number>() };
    entry.byDay.set(r.day, Number(r.bytes));
    // The others' name counts them on the latest day.
    if (r.id === "") entry.name = r.name;
    perClient.set(r.id, entry);
  }
  const series = [...perClient.entries()].map(([id, { name, byDay }]) => {
    let last = 0;
    return { id, name, values: days.map((d) => last = byDay.get(d) ?? last) };
  });
  series.sort((a, b) =>
    Number(a.id === "") - Number(b.id === "") ||
    (b.values.at(-1) ?? 0) - (a.values.at(-1) ?? 0)
  );
  return {
    labels: [...days],
    series: series.map(({ name, values }) => ({ name, values })),
  };
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
