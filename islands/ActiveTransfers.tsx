/** Uploads in flight, each with a progress bar. */
import type { ActiveTransfer } from "../server/stats/snapshot.ts";
import { formatBytes, formatPercent } from "../shared/format.ts";
import { liveStats, useLiveStats } from "../browser/live.ts";

export default function ActiveTransfers(
  props: { transfers: ActiveTransfer[] },
) {
  useLiveStats();
  const transfers = liveStats.value?.transfers.active ?? props.transfers;
  if (transfers.length === 0) {
    return <p class="empty" data-transfers="0">No uploads in progress.</p>;
  }
  return (
    <ul class="progress-list" data-transfers={transfers.length}>
      {transfers.map((t) => {
        const fraction = t.total > 0 ? t.bytes / t.total : 0;
        return (
          <li key={t.transfer} data-transfer={t.transfer}>
            <div class="progress-head">
              <span class="progress-file" title={t.file}>{t.file}</span>
              <span class="progress-pct">{formatPercent(fraction)}</span>
            </div>
            <progress
              max={Math.max(1, t.total)}
              value={Math.min(t.bytes, t.total)}
            />
            <div class="progress-meta">
              <a href={`/clients/${t.client}`}>{t.name}</a>
              <span title="Encrypted bytes">
                {formatBytes(t.bytes)} of {formatBytes(t.total)} sent
              </span>
              {t.attempt > 1 && (
                <span class="badge warn">attempt {t.attempt}</span>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
