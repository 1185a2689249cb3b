/** Server status, addresses, version, database and disk: the dashboard's fixed facts. */
import Uptime from "../islands/Uptime.tsx";
import { formatBytes, formatPercent } from "../shared/format.ts";
import type { DiskUsage } from "../server/portal/disk.ts";
import { Badge } from "./Table.tsx";

export interface StatusData {
  health: { tcp: boolean; database: boolean };
  version: string;
  protocolAddress: string;
  portSource: string;
  httpAddress: string;
  dataDir: string;
  database: { bytes: number; journalMode: string; schemaVersion: number };
  storedBytes: number;
  disk: DiskUsage | undefined;
}

export function StatusPanel(props: { status: StatusData; uptimeMs: number }) {
  const s = props.status;
  const ok = s.health.tcp && s.health.database;
  const diskFraction = s.disk && s.disk.total > 0
    ? s.disk.used / s.disk.total
    : 0;
  return (
    <section class="panel">
      <h2>
        Server{" "}
        <Badge kind={ok ? "ok" : "bad"}>{ok ? "running" : "degraded"}</Badge>
      </h2>
      <dl class="facts">
        <dt>Protocol listener</dt>
        <dd>
          <code>{s.protocolAddress}</code>{" "}
          <Badge kind={s.health.tcp ? "ok" : "bad"}>
            {s.health.tcp ? "listening" : "down"}
          </Badge>
          <span class="muted">port from {s.portSource}</span>
        </dd>
        <dt>Portal</dt>
        <dd>
          <code>{s.httpAddress}</code>
        </dd>
        <dt>Uptime</dt>
        <dd>
          <Uptime uptimeMs={props.uptimeMs} />
        </dd>
        <dt>Version</dt>
        <dd>{s.version}</dd>
        <dt>Database</dt>
        <dd>
          <Badge kind={s.health.database ? "ok" : "bad"}>
            {s.health.database ? "ok" : "unavailable"}
          </Badge>{" "}
          {formatBytes(s.database.bytes)} · schema {s.database.schemaVersion} ·
          {" "}
          {s.database.journalMode}
        </dd>
        <dt>Data directory</dt>
        <dd>
          <code>{s.dataDir}</code>
        </dd>
        <dt>Stored files</dt>
        <dd>{formatBytes(s.storedBytes)}</dd>
        <dt>Disk</dt>
        <dd>
          {s.disk
            ? (
              <>
                <meter
                  min={0}
                  max={1}
                  low={0.75}
                  high={0.9}
                  optimum={0}
                  value={diskFraction}
                />
                <span>
                  {formatBytes(s.disk.used)} used · {formatBytes(s.disk.free)}
                  {" "}
                  free ({formatPercent(diskFraction)} full)
                </span>
              </>
            )
            : <span class="muted">unknown (df unavailable)</span>}
        </dd>
      </dl>
    </section>
  );
}
