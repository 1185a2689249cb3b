/** Backup history figures: a client's history and quota, and the store's deduplication. */
import type { ClientHistory } from "../server/portal/client_history.ts";
import { savings } from "../server/portal/client_history.ts";
import {
  QUOTA_WARNING,
  type QuotaGauge,
  quotaPercent,
  worseLevel,
} from "../server/portal/quota.ts";
import { formatBytes, formatCount, formatPercent } from "../shared/format.ts";
import { Badge } from "./Table.tsx";

/** One quota as a meter and "used of limit (n%)", with a warning or over-quota badge. */
function QuotaLine(
  props: { gauge: QuotaGauge; format: (n: number) => string },
) {
  const { gauge, format } = props;
  if (gauge.limit === null) {
    return <span class="muted">{format(gauge.used)} · no quota</span>;
  }
  return (
    <>
      <meter
        min={0}
        max={1}
        low={QUOTA_WARNING}
        high={QUOTA_WARNING}
        optimum={0}
        value={Math.min(1, gauge.fraction)}
      />
      <span data-quota-level={gauge.level}>
        {format(gauge.used)} of {format(gauge.limit)} (
        {quotaPercent(gauge.fraction)})
      </span>
      {gauge.level === "warn" && <Badge kind="warn">near quota</Badge>}
      {gauge.level === "over" && <Badge kind="bad">over quota</Badge>}
    </>
  );
}

/** A client's history: versions, bytes, deduplication savings and quotas. */
export function ClientHistoryPanel(
  props: { history: ClientHistory; retentionHref: string },
) {
  const { usage, distinctBytes, quota } = props.history;
  const saved = savings(usage.bytes, distinctBytes);
  const level = worseLevel(quota.bytes.level, quota.versions.level);
  return (
    <section class="panel" data-panel="history">
      <h2>
        Backup history{" "}
        {level === "over" && <Badge kind="bad">over quota</Badge>}
        {level === "warn" && <Badge kind="warn">near quota</Badge>}{" "}
        <a class="small-link" href={props.retentionHref}>
          retention settings →
        </a>
      </h2>
      <dl class="facts">
        <dt>Kept versions</dt>
        <dd>
          {formatCount(usage.versions)} · {formatBytes(usage.bytes)}{" "}
          before deduplication
        </dd>
        <dt>Deduplication</dt>
        <dd>
          {formatBytes(distinctBytes)} of distinct content · saves{" "}
          {formatBytes(saved.bytes)} ({formatPercent(saved.fraction)})
        </dd>
        <dt>Quota (bytes)</dt>
        <dd>
          <QuotaLine gauge={quota.bytes} format={formatBytes} />
        </dd>
        <dt>Quota (versions)</dt>
        <dd>
          <QuotaLine gauge={quota.versions} format={formatCount} />
        </dd>
      </dl>
    </section>
  );
}

/** Whole-store figures of backup history. */
export interface HistoryTotals {
  versions: number;
  logicalBytes: number;
  storedBytes: number;
}

/** The dashboard's storage saved by deduplication: logical bytes against bytes stored. */
export function DedupPanel(props: { totals: HistoryTotals }) {
  const { versions, logicalBytes, storedBytes } = props.totals;
  const saved = savings(logicalBytes, storedBytes);
  return (
    <section class="panel" data-panel="dedup">
      <h2>Backup history</h2>
      <dl class="facts">
        <dt>Kept versions</dt>
        <dd>{formatCount(versions)}</dd>
        <dt>Logical size</dt>
        <dd>{formatBytes(logicalBytes)}</dd>
        <dt>Stored</dt>
        <dd>{formatBytes(storedBytes)}</dd>
        <dt>Saved by deduplication</dt>
        <dd data-saved={saved.bytes}>
          {formatBytes(saved.bytes)} ({formatPercent(saved.fraction)})
        </dd>
      </dl>
    </section>
  );
}
