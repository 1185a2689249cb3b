/**
 * Charts: storage per client now and over 30 days, uploads and failures
 * per day, and throughput per hour over a week (the dashboard's live chart
 * covers five minutes). Server-rendered SVG from the database.
 */
import { Lines, RankBars, StackedBars } from "../../components/Charts.tsx";
import { Layout } from "../../components/Layout.tsx";
import { formatBytes, formatCount, formatRate } from "../../shared/format.ts";
import { define, page } from "../../server/portal/define.ts";
import { healthNow } from "../../server/ops/portal.ts";
import {
  type ChartData,
  lastDays,
  lastHours,
  outcomesByDay,
  storageByDay,
  throughputByHour,
} from "../../server/ops/series.ts";

const DAYS = 30;
const HOURS = 7 * 24;

interface ChartsData {
  perClient: { label: string; value: number; href: string }[];
  storage: ChartData;
  outcomes: ChartData;
  throughput: ChartData;
}

export const handler = define.handlers<ChartsData>({
  GET(ctx) {
    const { db } = ctx.state.deps;
    const now = Date.now();
    const days = lastDays(now, DAYS);
    const hours = lastHours(now, HOURS);
    const perClient = healthNow(ctx.state.deps)
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 12)
      .map((h) => ({
        label: h.name,
        value: h.bytes,
        href: `/clients/${h.id}`,
      }));
    return page({
      perClient,
      storage: storageByDay(db.ops.dailyBytes(days[0], 5), days),
      outcomes: outcomesByDay(
        db.ops.dailyOutcomes(`${days[0]}T00:00:00.000Z`),
        days,
      ),
      throughput: throughputByHour(
        db.ops.hourlyBytes(`${hours[0]}:00:00.000Z`),
        hours,
      ),
    });
  },
});

const shortDay = (d: string) => d.slice(5);
const shortHour = (h: string) => `${h.slice(5, 10)} ${h.slice(11)}h`;

export default define.page<ChartsData>(function Charts({ data, url, session }) {
  const uploads = data.outcomes.series[0].values.reduce((a, b) => a + b, 0);
  const failures = data.outcomes.series[1].values.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...data.throughput.series[0].values);
  return (
    <Layout title="Charts" url={url} session={session}>
      <div class="grid-2">
        <section class="panel">
          <RankBars
            id="storage-per-client"
            title="Storage per client"
            items={data.perClient}
            format={formatBytes}
          />
        </section>
        <section class="panel">
          <Lines
            id="storage-over-time"
            title={`Storage over ${DAYS} days`}
            data={data.storage}
            format={formatBytes}
            label={shortDay}
            bytes
          />
        </section>
        <section class="panel">
          <StackedBars
            id="uploads-per-day"
            title="Uploads per day"
            summary={`${formatCount(uploads)} verified · ${
              formatCount(failures)
            } failed`}
            data={data.outcomes}
            legend="sum"
            format={(v) => formatCount(Math.round(v))}
            label={shortDay}
          />
        </section>
        <section class="panel">
          <Lines
            id="throughput-history"
            title="Throughput per hour, last 7 days"
            summary={`peak ${formatRate(peak)}`}
            data={data.throughput}
            format={formatRate}
            label={shortHour}
            bytes
          />
        </section>
      </div>
    </Layout>
  );
});
