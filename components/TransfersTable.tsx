/** Upload history: outcome, encrypted bytes sent, duration, rate, tries. */
import type { TransferRow } from "../server/storage/types.ts";
import { formatBytes, formatDuration, formatRate } from "../shared/format.ts";
import { OutcomeBadge, TableBox, TimeCell } from "./Table.tsx";

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
          <th
            class="num"
            title="Encrypted bytes the server received: the file padded to whole 16-byte AES blocks (Files shows the original size)"
          >
            Sent
          </th>
          <th class="num">Took</th>
          <th class="num" title="Sent bytes per second">Rate</th>
          <th class="num" title="Attempts, counting resends">Tries</th>
          <th>Via</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((t) => {
          const ms = durationMs(t);
          return (
            <tr>
              <TimeCell value={t.startedAt} />
              {props.showClient && (
                <td class="clip" title={t.clientName ?? t.clientId}>
                  <a href={`/clients/${t.clientId}`}>
                    {t.clientName ?? `${t.clientId.slice(0, 12)}…`}
                  </a>
                </td>
              )}
              <td class="file-name grow" title={t.error ?? t.fileName}>
                {t.fileName}
              </td>
              <td>
                <OutcomeBadge outcome={t.outcome} />
              </td>
              <td class="num">{formatBytes(t.bytes)}</td>
              <td class="num">
                {ms === undefined ? "–" : formatDurationShort(ms)}
              </td>
              <td class="num">
                {ms ? formatRate(t.bytes / (ms / 1000)) : "–"}
              </td>
              <td class="num">{t.attempts}</td>
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
