/** Bytes received per second over the last five minutes, as an SVG area chart. */
import { formatRate, recentRate } from "../shared/format.ts";
import { liveStats, useLiveStats } from "../browser/live.ts";

const WIDTH = 600;
const HEIGHT = 160;

export default function ThroughputChart(props: { history: number[] }) {
  useLiveStats();
  const history = liveStats.value?.throughput ?? props.history;
  const complete = history.slice(0, -1);
  const peak = Math.max(0, ...complete);
  const top = niceCeiling(peak);
  const average = recentRate(history);
  const step = complete.length > 1 ? WIDTH / (complete.length - 1) : WIDTH;
  const points = complete.map((v, i) =>
    `${(i * step).toFixed(1)},${(HEIGHT - (v / top) * HEIGHT).toFixed(1)}`
  );
  const line = points.join(" ");
  const area = points.length ? `0,${HEIGHT} ${line} ${WIDTH},${HEIGHT}` : "";
  const minutes = Math.round(complete.length / 60);
  return (
    <figure class="chart" data-chart="throughput">
      <figcaption>
        <span>Throughput, last {minutes} minutes</span>
        <span class="chart-figures">
          now <strong>{formatRate(average)}</strong> · peak {formatRate(peak)}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Throughput chart, peak ${formatRate(peak)}`}
      >
        {[0.25, 0.5, 0.75].map((f) => (
          <line
            class="grid"
            x1="0"
            x2={WIDTH}
            y1={HEIGHT * f}
            y2={HEIGHT * f}
          />
        ))}
        {area && <polygon class="area" points={area} />}
        {line && <polyline class="line" points={line} />}
      </svg>
      <div class="chart-axis">
        <span>−{minutes} min</span>
        <span>scale {formatRate(top)}</span>
        <span>now</span>
      </div>
    </figure>
  );
}

/** Rounds up to 1, 2 or 5 times a power of ten of the unit formatBytes shows, so the scale reads well. */
export function niceCeiling(value: number): number {
  if (value <= 1024) return 1024;
  const unit = 1024 ** Math.floor(Math.log(value) / Math.log(1024));
  const scaled = value / unit;
  const power = 10 ** Math.floor(Math.log10(scaled));
  for (const m of [1, 2, 5, 10]) {
    if (scaled <= m * power) return m * power * unit;
  }
  return 10 * power * unit;
}
