/**
 * Prometheus text exposition (format 0.0.4) of the live statistics and of
 * the portal's own HTTP latency.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { dialectLabel, UPLOAD_SIZE_MEANINGS } from "../session/dialect.ts";
import type { StatsSnapshot } from "../stats/snapshot.ts";

/** Upper bounds of the latency buckets, in seconds. */
export const LATENCY_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
] as const;

interface Series {
  counts: number[];
  sum: number;
  count: number;
}

/** HTTP methods that keep their own label value; any other is "other". */
const KNOWN_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
]);

/** The method label of a request: one of {@link KNOWN_METHODS} or "other". */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : "other";
}

/** A latency histogram per method and route pattern (bounded label sets). */
export class HttpMetrics {
  readonly #series = new Map<string, Series>();

  /** Records one request that took `seconds`. */
  observe(method: string, route: string, seconds: number): void {
    const key = `${method}\u0000${route}`;
    let series = this.#series.get(key);
    if (!series) {
      series = {
        counts: new Array(LATENCY_BUCKETS.length).fill(0),
        sum: 0,
        count: 0,
      };
      this.#series.set(key, series);
    }
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]) series.counts[i]++;
    }
    series.sum += seconds;
    series.count++;
  }

  /** Middleware that times every request (to the first byte for streams). */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const start = performance.now();
      await next();
      const method = methodLabel(c.req.method);
      // Only a route that answered keeps its pattern: anything a stranger
      // can vary (paths, methods) folds into one label value.
      const route = c.res.status === 404 || method === "other"
        ? "unmatched"
        : routePath(c, -1);
      this.observe(method, route, (performance.now() - start) / 1000);
    };
  }

  /** The histogram lines in Prometheus text format. */
  render(): string {
    const name = "cyberbackup_http_request_duration_seconds";
    const lines = [
      `# HELP ${name} Time to answer an HTTP request.`,
      `# TYPE ${name} histogram`,
    ];
    for (const [key, series] of this.#series) {
      const [method, route] = key.split("\u0000");
      const labels = `method="${escapeLabel(method)}",route="${
        escapeLabel(route)
      }"`;
      LATENCY_BUCKETS.forEach((le, i) =>
        lines.push(`${name}_bucket{${labels},le="${le}"} ${series.counts[i]}`)
      );
      lines.push(`${name}_bucket{${labels},le="+Inf"} ${series.count}`);
      lines.push(`${name}_sum{${labels}} ${series.sum}`);
      lines.push(`${name}_count{${labels}} ${series.count}`);
    }
    return lines.join("\n");
  }
}

/** The statistics as Prometheus metrics, followed by the HTTP histogram. */
export function renderMetrics(
  snapshot: StatsSnapshot,
  http: HttpMetrics,
): string {
  const out: string[] = [];
  const metric = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    samples: [string, number][],
  ) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      out.push(`${name}${labels} ${value}`);
    }
  };
  const c = snapshot.connections;
  metric(
    "cyberbackup_connections_active",
    "gauge",
    "Open protocol connections.",
    [["", c.active]],
  );
  metric(
    "cyberbackup_connections_max",
    "gauge",
    "Configured connection limit.",
    [["", c.max]],
  );
  metric(
    "cyberbackup_connections_available",
    "gauge",
    "Connection slots free.",
    [["", c.available]],
  );
  metric(
    "cyberbackup_connections_total",
    "counter",
    "Protocol connections accepted.",
    [["", c.total]],
  );
  metric(
    "cyberbackup_connections_refused_total",
    "counter",
    "Protocol connections refused.",
    [["", c.refused]],
  );
  metric("cyberbackup_transfers_active", "gauge", "Uploads in progress.", [[
    "",
    snapshot.transfers.active.length,
  ]]);
  metric("cyberbackup_transfers_started_total", "counter", "Uploads started.", [
    ["", snapshot.transfers.started],
  ]);
  metric(
    "cyberbackup_transfers_total",
    "counter",
    "Uploads finished, by outcome.",
    [
      ['{outcome="verified"}', snapshot.transfers.verified],
      ['{outcome="failed"}', snapshot.transfers.failed],
      ['{outcome="aborted"}', snapshot.transfers.aborted],
    ],
  );
  metric(
    "cyberbackup_uploads_by_dialect_total",
    "counter",
    "Uploads received whole, by IV prefix and ContentSize meaning (docs/protocol.md, Dialects).",
    dialectSamples(snapshot.uploadDialects),
  );
  metric(
    "cyberbackup_received_bytes_total",
    "counter",
    "Bytes received from clients.",
    [[
      "",
      snapshot.bytesReceived,
    ]],
  );
  metric(
    "cyberbackup_errors_total",
    "counter",
    "Error responses sent, by response code.",
    Object.entries(snapshot.errors).map((
      [code, n],
    ) => [`{code="${escapeLabel(code)}"}`, n]),
  );
  metric("cyberbackup_clients_registered", "gauge", "Registered clients.", [[
    "",
    snapshot.registeredClients,
  ]]);
  metric(
    "cyberbackup_files_verified",
    "gauge",
    "Stored files with a verified checksum.",
    [[
      "",
      snapshot.verifiedFiles,
    ]],
  );
  metric(
    "cyberbackup_uptime_seconds",
    "gauge",
    "Seconds since the server started.",
    [[
      "",
      snapshot.uptimeMs / 1000,
    ]],
  );
  out.push(http.render());
  return out.join("\n") + "\n";
}

/** One sample per possible dialect (a fixed, bounded label set), zeros included. */
function dialectSamples(counts: Record<string, number>): [string, number][] {
  return [true, false].flatMap((ivPrefix) =>
    UPLOAD_SIZE_MEANINGS.map((sizes): [string, number] => [
      `{iv_prefix="${ivPrefix ? "yes" : "no"}",content_size="${sizes}"}`,
      counts[dialectLabel({ ivPrefix, sizes })] ?? 0,
    ])
  );
}

/** A label value in the exposition format: backslash, quote and newline escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
    /\n/g,
    "\\n",
  );
}
