/**
 * Every island, by the name that `data-island` carries. The server
 * registers these (server/portal/islands.ts) and the bundle hydrates them
 * (islands/main.ts); add a component here to make it an island.
 * @module
 */
import ActiveTransfers from "./ActiveTransfers.tsx";
import ActivityFeed from "./ActivityFeed.tsx";
import BackupApp from "./BackupApp.tsx";
import LiveBadge from "./LiveBadge.tsx";
import LiveCards from "./LiveCards.tsx";
import LogTail from "./LogTail.tsx";
import ThroughputChart from "./ThroughputChart.tsx";
import Uptime from "./Uptime.tsx";

export const ISLANDS = {
  ActiveTransfers,
  ActivityFeed,
  BackupApp,
  LiveBadge,
  LiveCards,
  LogTail,
  ThroughputChart,
  Uptime,
} as const;
