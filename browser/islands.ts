/**
 * Every island, by the name that `data-island` carries. The server
 * registers these (server/portal/islands.ts) and the bundle hydrates them
 * (browser/main.ts); add a component under islands/ and here to make it an
 * island.
 * @module
 */
import ActiveTransfers from "../islands/ActiveTransfers.tsx";
import ActivityFeed from "../islands/ActivityFeed.tsx";
import BackupApp from "../islands/BackupApp.tsx";
import LiveBadge from "../islands/LiveBadge.tsx";
import LiveCards from "../islands/LiveCards.tsx";
import LogTail from "../islands/LogTail.tsx";
import MaintenanceRuns from "../islands/MaintenanceRuns.tsx";
import ThroughputChart from "../islands/ThroughputChart.tsx";
import Uptime from "../islands/Uptime.tsx";

export const ISLANDS = {
  ActiveTransfers,
  ActivityFeed,
  BackupApp,
  LiveBadge,
  LiveCards,
  LogTail,
  MaintenanceRuns,
  ThroughputChart,
  Uptime,
} as const;
