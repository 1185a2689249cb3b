/**
 * Shows whether the page receives live data. Rendered on the server (and
 * seen without JavaScript) as "static": the figures are those of page load.
 */
import { type LiveState, liveState, useLiveStats } from "../browser/live.ts";

const LABELS: Record<LiveState, string> = {
  static: "Live updates need JavaScript",
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
};

/** The badge for one stream's state; also used by islands with their own stream. */
export function LiveStateBadge(props: { state: LiveState }) {
  const { state } = props;
  return (
    <span
      class={`live-badge ${state}`}
      data-live={state}
      title={state === "static"
        ? "These figures are from when the page loaded; reload for new ones."
        : undefined}
    >
      {LABELS[state]}
    </span>
  );
}

export default function LiveBadge() {
  useLiveStats();
  return <LiveStateBadge state={liveState.value} />;
}
