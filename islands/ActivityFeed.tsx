/** The most recent things that happened, newest first. */
import type { ActivityItem } from "../server/stats/snapshot.ts";
import { formatClock, formatTime } from "../shared/format.ts";
import { liveStats, useLiveStats } from "../browser/live.ts";

const BADGE: Record<ActivityItem["kind"], string> = {
  registered: "info",
  reconnected: "info",
  key: "info",
  verified: "ok",
  failed: "bad",
  aborted: "warn",
  refused: "warn",
  error: "bad",
};

export default function ActivityFeed(
  props: { items: ActivityItem[]; limit?: number },
) {
  useLiveStats();
  const items = (liveStats.value?.activity ?? props.items).slice(
    0,
    props.limit ?? 15,
  );
  if (items.length === 0) {
    return <p class="empty">Nothing has happened since the server started.</p>;
  }
  return (
    <ol class="feed">
      {items.map((item) => (
        <li key={item.id}>
          <time title={formatTime(item.time)}>{formatClock(item.time)}</time>
          <span class={`badge ${BADGE[item.kind]}`}>{item.kind}</span>
          <span class="feed-text">{item.text}</span>
        </li>
      ))}
    </ol>
  );
}
