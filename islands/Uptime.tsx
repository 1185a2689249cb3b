/** The server's uptime, ticking every second. */
import { useEffect, useState } from "preact/hooks";
import { formatDuration } from "../shared/format.ts";
import { liveReceivedAt, liveStats, useLiveStats } from "../browser/live.ts";

export default function Uptime(props: { uptimeMs: number }) {
  useLiveStats();
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  const live = liveStats.value;
  const uptime = live
    ? live.uptimeMs + (Date.now() - liveReceivedAt.value)
    : props.uptimeMs;
  return <span data-uptime>{formatDuration(uptime)}</span>;
}
