/** Client health in the portal: the state badge and the attention list. Server-only. */
import type { ClientHealth } from "../server/ops/health.ts";
import { type ClientState, STATE_LABELS } from "../server/ops/state.ts";
import { formatBytes, formatMinute } from "../shared/format.ts";
import { Badge } from "./Table.tsx";

const KINDS: Record<ClientState, "ok" | "bad" | "warn" | "info"> = {
  ok: "ok",
  overdue: "warn",
  over_quota: "warn",
  failing: "bad",
  locked: "bad",
};

/** A client's state as a coloured badge. */
export function StateBadge(props: { state: ClientState; reason?: string }) {
  return (
    <span title={props.reason} data-state={props.state}>
      <Badge kind={KINDS[props.state]}>{STATE_LABELS[props.state]}</Badge>
    </span>
  );
}

/** The clients that need attention, most urgent first; a quiet line when none. */
export function AttentionList(
  props: { clients: readonly ClientHealth[]; total: number; limit?: number },
) {
  const shown = props.clients.slice(0, props.limit ?? 10);
  return (
    <section class="panel attention" data-attention>
      <h2>
        Needs attention{" "}
        <span class="muted">
          {props.clients.length} of {props.total} clients
        </span>
      </h2>
      {shown.length === 0
        ? <p class="muted">Every client is backing up as expected.</p>
        : (
          <div class="table-box">
            <table>
              <thead>
                <tr>
                  <th>Client</th>
                  <th>State</th>
                  <th class="wide-only">Why</th>
                  <th class="wide-only">Last success</th>
                  <th class="num wide-only">Stored</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((c) => (
                  <tr key={c.id} data-client={c.name}>
                    <td class="file-name grow" title={c.name}>
                      <a href={`/clients/${c.id}`}>{c.name}</a>
                    </td>
                    <td>
                      <StateBadge state={c.state} reason={c.reason} />
                    </td>
                    <td class="muted wide-only">{c.reason}</td>
                    <td class="wide-only">
                      <time dateTime={c.lastSuccessAt ?? undefined}>
                        {formatMinute(c.lastSuccessAt)}
                      </time>
                    </td>
                    <td class="num wide-only">{formatBytes(c.bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      {props.clients.length > shown.length && (
        <p>
          <a href="/clients?state=attention">
            All {props.clients.length} clients that need attention
          </a>
        </p>
      )}
    </section>
  );
}
