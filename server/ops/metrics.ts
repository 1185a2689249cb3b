/**
 * Client health for Prometheus: clients per state always (five series),
 * and with `--client-metrics on` each client's last success and state (one
 * series each per client: the cardinality an operator opts into). Client
 * names are chosen by clients: label values are escaped.
 * @module
 */
import type { ClientHealth } from "./health.ts";
import { countByState } from "./health.ts";
import { escapeLabel as labelValue } from "../portal/metrics.ts";

/** The health series in Prometheus text format (ends with a newline). */
export function renderHealthMetrics(
  health: readonly ClientHealth[],
  perClient: boolean,
): string {
  const out = [
    "# HELP cyberbackup_clients Registered clients by state (ok, overdue, failing, locked, over_quota).",
    "# TYPE cyberbackup_clients gauge",
    ...Object.entries(countByState(health)).map(([state, n]) =>
      `cyberbackup_clients{state="${state}"} ${n}`
    ),
  ];
  if (perClient) {
    const labels = (h: ClientHealth) =>
      `client="${labelValue(h.name)}",id="${h.id}"`;
    out.push(
      "# HELP cyberbackup_client_last_success_timestamp_seconds Time of the client's last verified upload (absent when none).",
      "# TYPE cyberbackup_client_last_success_timestamp_seconds gauge",
      ...health.flatMap((h) => {
        const t = h.lastSuccessAt === null ? NaN : Date.parse(h.lastSuccessAt);
        return Number.isNaN(t) ? [] : [
          `cyberbackup_client_last_success_timestamp_seconds{${labels(h)}} ${
            Math.floor(t / 1000)
          }`,
        ];
      }),
      "# HELP cyberbackup_client_state The client's current state (1; one series per client).",
      "# TYPE cyberbackup_client_state gauge",
      ...health.map((h) =>
        `cyberbackup_client_state{${labels(h)},state="${h.state}"} 1`
      ),
    );
  }
  return out.join("\n") + "\n";
}
