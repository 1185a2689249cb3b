/** Upload history: outcome, size, duration, throughput, retries. */
import type { TransferRow } from "../server/storage/admin_queries.ts";
import {
  formatBytes,
  formatDuration,
  formatRate,
  formatTime,
} from "../islands/format.ts";
import { OutcomeBadge, TableBox } from "./Table.tsx";

export function TransfersTable(
  props: { rows: TransferRow[]; showClient: boolean },
) {
  return (
    <TableBox rows={props.rows.length} empty="No uploads recorded.">
      <thead>
        <tr>
          <th>Started</th>
          {props.showClient && <th>Client</th>}
          <th>File</th>
          <th>Outcome</th>
          <th class="num">Size</th>
          <th class="num">Duration</th>
          <th class="num">Throughput</th>
          <th class="num">Retries</th>
          <th>Via</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((t) => {
          const ms = durationMs(t);
          const bytes = t.bytes || t.size || 0;
          return (
            <tr>
              <td>{formatTime(t.startedAt)}</td>
              {props.showClient && (
                <td>
                  <a href={`/clients/${t.clientId}`}>
                    {t.clientName ?? `${t.clientId.slice(0, 12)}…`}
                  </a>
                </td>
              )}
              <td class="file-name" title={t.error ?? undefined}>
                {t.fileName}
              </td>
              <td>
                <OutcomeBadge outcome={t.outcome} />
              </td>
              <td class="num">{formatBytes(t.size ?? t.bytes)}</td>
              <td class="num">
                {ms === undefined ? "–" : formatDurationShort(ms)}
              </td>
              <td class="num">{ms ? formatRate(bytes / (ms / 1000)) : "–"}</td>
              <td class="num">{Math.max(0, t.attempts - 1)}</td>
              <td>{t.transport}</td>
            </tr>
          );
        })}
      </tbody>
    </TableBox>
  );
}

function durationMs(t: TransferRow): number | undefined {
  if (!t.finishedAt) return undefined;
  const ms = Date.parse(t.finishedAt) - Date.parse(t.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function formatDurationShort(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
    : formatDuration(ms);
}
