/** The dashboard: is the server healthy, and are backups arriving intact? */
import {
  DedupPanel,
  type HistoryTotals,
} from "../../components/HistoryPanels.tsx";
import { AttentionList } from "../../components/Health.tsx";
import { Layout } from "../../components/Layout.tsx";
import { type StatusData, StatusPanel } from "../../components/StatusPanel.tsx";
import ActiveTransfers from "../../islands/ActiveTransfers.tsx";
import ActivityFeed from "../../islands/ActivityFeed.tsx";
import LiveBadge from "../../islands/LiveBadge.tsx";
import LiveCards, { cardFigures } from "../../islands/LiveCards.tsx";
import ThroughputChart from "../../islands/ThroughputChart.tsx";
import { define, page } from "../../server/portal/define.ts";
import { diskUsage } from "../../server/portal/disk.ts";
import type { ClientHealth } from "../../server/ops/health.ts";
import { healthNow } from "../../server/ops/portal.ts";
import type { StatsSnapshot } from "../../server/stats/snapshot.ts";

interface DashboardData {
  snapshot: StatsSnapshot;
  status: StatusData;
  history: HistoryTotals;
  /** Clients whose state is not ok, most urgent first. */
  attention: ClientHealth[];
  clients: number;
}

export const handler = define.handlers<DashboardData>({
  async GET(ctx) {
    const { db, stats, config } = ctx.state.deps;
    const status: StatusData = {
      health: ctx.state.deps.health(),
      version: ctx.state.deps.version,
      protocolAddress: `${config.host}:${config.port}`,
      portSource: config.portSource,
      httpAddress: `${config.httpHost}:${config.httpPort}`,
      dataDir: config.dataDir,
      database: db.status.info(),
      storedBytes: db.status.storedBytes(),
      disk: await diskUsage(config.dataDir),
    };
    const health = healthNow(ctx.state.deps);
    return page({
      snapshot: stats.snapshot(),
      status,
      history: db.versions.totals(),
      attention: health.filter((h) => h.state !== "ok"),
      clients: health.length,
    });
  },
});

export default define.page<DashboardData>(
  function Dashboard({ data, url, session }) {
    const { snapshot } = data;
    return (
      <Layout
        title="Dashboard"
        url={url}
        session={session}
        actions={<LiveBadge />}
      >
        <AttentionList clients={data.attention} total={data.clients} />
        <LiveCards figures={cardFigures(snapshot)} />
        <div class="grid-2">
          <section class="panel">
            <ThroughputChart history={snapshot.throughput} />
          </section>
          <StatusPanel status={data.status} uptimeMs={snapshot.uptimeMs} />
        </div>
        <div class="grid-2">
          <section class="panel fit">
            <h2>Active transfers</h2>
            <ActiveTransfers transfers={snapshot.transfers.active} />
          </section>
          <section class="panel">
            <h2>Recent activity</h2>
            <ActivityFeed items={snapshot.activity.slice(0, 15)} />
          </section>
        </div>
        <DedupPanel totals={data.history} />
      </Layout>
    );
  },
);
