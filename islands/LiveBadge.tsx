/** Shows whether the page receives live data; "offline" before scripts run. */
import { liveState, useLiveStats } from "./live.ts";

export default function LiveBadge() {
  useLiveStats();
  const state = liveState.value;
  const label = state === "live"
    ? "Live"
    : state === "connecting"
    ? "Connecting…"
    : "Reconnecting…";
  return <span class={`live-badge ${state}`} data-live={state}>{label}</span>;
}
