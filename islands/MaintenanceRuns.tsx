/**
 * The latest retention, trash purge and GC runs with their figures, live
 * while one runs (`/events/maintenance`); without scripts, the figures of
 * page load.
 */
import { useEffect, useState } from "preact/hooks";
import type { RunRecord } from "../server/storage/maintenance_types.ts";
import { formatBytes, formatCount, formatTime } from "../shared/format.ts";
import { type LiveState, openStream } from "../browser/live.ts";
import { LiveStateBadge } from "./LiveBadge.tsx";

const STATE_CLASS: Record<RunRecord["state"], string> = {
  running: "info",
  done: "ok",
  failed: "bad",
  interrupted: "warn",
};

export default function MaintenanceRuns(props: { runs: RunRecord[] }) {
  const [runs, setRuns] = useState(props.runs);
  const [state, setState] = useState<LiveState>("static");
  useEffect(
    () =>
      openStream("/events/maintenance", {
        runs: (data) => setRuns(JSON.parse(data) as RunRecord[]),
      }, setState),
    [],
  );
  return (
    <div data-maintenance-runs>
      <p>
        <LiveStateBadge state={state} />
      </p>
      <div class="table-box">
        <table>
          <thead>
            <tr>
              <th>Run</th>
              <th>Kind</th>
              <th>Scope</th>
              <th>By</th>
              <th>State</th>
              <th class="num">Examined</th>
              <th class="num">Removed</th>
              <th class="num">Files</th>
              <th class="num">Freed</th>
              <th>Started</th>
              <th>Last update</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} data-run={r.id} data-state={r.state}>
                <td>{r.id}</td>
                <td>{r.kind}</td>
                <td>
                  <code>{r.scope === "*" ? "all" : r.scope}</code>
                </td>
                <td>{r.actor}</td>
                <td>
                  <span
                    class={`badge ${STATE_CLASS[r.state]}`}
                    title={r.error ?? undefined}
                  >
                    {r.state}
                  </span>
                </td>
                <td class="num" data-examined>{formatCount(r.examined)}</td>
                <td class="num" data-removed>{formatCount(r.removed)}</td>
                <td class="num">{formatCount(r.files)}</td>
                <td class="num">{formatBytes(r.bytes)}</td>
                <td>{formatTime(r.startedAt)}</td>
                <td>{formatTime(r.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {runs.length === 0 && <p class="empty">No run yet.</p>}
      </div>
    </div>
  );
}
