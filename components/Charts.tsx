/**
 * Server-rendered SVG charts: stacked bars, lines and horizontal bars,
 * with axis labels, a legend and a data table fallback in <title>. No
 * script, no library: the page is complete as sent. Server-only.
 */
import type { ComponentChildren } from "preact";
import type { ChartData } from "../server/ops/series.ts";

const W = 640;
const H = 220;
const PAD = { left: 64, right: 12, top: 12, bottom: 28 };

/** The smallest 1, 2 or 5 × 10^k (or × 1024^k for bytes) at or above `value`. */
export function niceMax(value: number, base: 10 | 1024 = 10): number {
  if (value <= 0) return 1;
  const unit = base === 1024
    ? 1024 ** Math.max(0, Math.floor(Math.log(value) / Math.log(1024)))
    : 1;
  const scaled = value / unit;
  const power = 10 ** Math.floor(Math.log10(scaled));
  for (const m of [1, 2, 5, 10]) {
    if (scaled <= m * power) return m * power * unit;
  }
  return 10 * power * unit;
}

interface ChartProps {
  id: string;
  title: string;
  data: ChartData;
  /** Formats a value for the axis and legend. */
  format: (value: number) => string;
  /** Formats a label for the x axis (shown for a few labels only). */
  label?: (label: string) => string;
  bytes?: boolean;
  /** A one-line summary beside the title. */
  summary?: string;
  /** What the legend shows beside each series: its last value (default) or its sum. */
  legend?: "last" | "sum";
}

function Frame(
  props: ChartProps & { max: number; children: ComponentChildren },
) {
  const { data, max } = props;
  const ticks = [0, 0.5, 1];
  const plotH = H - PAD.top - PAD.bottom;
  const n = data.labels.length;
  const every = Math.max(1, Math.ceil(n / 6));
  const x = (i: number) =>
    PAD.left + (n <= 1 ? 0 : (i / (n - 1)) * (W - PAD.left - PAD.right));
  return (
    <figure class="chart plot" data-chart={props.id}>
      <figcaption>
        <span>{props.title}</span>
        {props.summary && <span class="chart-figures">{props.summary}</span>}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title}>
        {ticks.map((t) => {
          const y = PAD.top + plotH * (1 - t);
          return (
            <g key={t}>
              <line
                class="grid"
                x1={PAD.left}
                x2={W - PAD.right}
                y1={y}
                y2={y}
              />
              <text class="tick" x={PAD.left - 6} y={y + 4} text-anchor="end">
                {props.format(max * t)}
              </text>
            </g>
          );
        })}
        {data.labels.map((l, i) =>
          i % every === 0 || i === n - 1
            ? (
              <text
                key={l}
                class="tick"
                x={x(i)}
                y={H - 8}
                text-anchor={i === 0 ? "start" : i === n - 1 ? "end" : "middle"}
              >
                {props.label ? props.label(l) : l}
              </text>
            )
            : null
        )}
        {props.children}
      </svg>
      <ul class="legend">
        {data.series.map((s, i) => (
          <li key={s.name}>
            <span class={`swatch s${i % 6}`} />
            {s.name}{" "}
            <span class="muted">
              {props.format(
                props.legend === "sum"
                  ? s.values.reduce((a, b) => a + b, 0)
                  : s.values.at(-1) ?? 0,
              )}
            </span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** Stacked bars, one per label. */
export function StackedBars(props: ChartProps) {
  const { data } = props;
  const totals = data.labels.map((_, i) =>
    data.series.reduce((s, ser) => s + ser.values[i], 0)
  );
  const max = niceMax(Math.max(0, ...totals), props.bytes ? 1024 : 10);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, data.labels.length);
  const barW = Math.max(2, slot * 0.7);
  return (
    <Frame {...props} max={max}>
      {data.labels.map((label, i) => {
        let base = 0;
        return (
          <g key={label}>
            <title>
              {`${label}: ${
                data.series.map((s) => `${s.values[i]} ${s.name}`).join(", ")
              }`}
            </title>
            {data.series.map((s, k) => {
              const h = (s.values[i] / max) * plotH;
              const y = PAD.top + plotH - base - h;
              base += h;
              return h > 0
                ? (
                  <rect
                    key={s.name}
                    class={`bar s${k % 6}`}
                    x={PAD.left + i * slot + (slot - barW) / 2}
                    y={y}
                    width={barW}
                    height={h}
                  />
                )
                : null;
            })}
          </g>
        );
      })}
    </Frame>
  );
}

/** One line per series. */
export function Lines(props: ChartProps) {
  const { data } = props;
  const peak = Math.max(0, ...data.series.flatMap((s) => s.values));
  const max = niceMax(peak, props.bytes ? 1024 : 10);
  const n = data.labels.length;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) =>
    PAD.left + (n <= 1 ? 0 : (i / (n - 1)) * (W - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + plotH * (1 - v / max);
  return (
    <Frame {...props} max={max}>
      {data.series.map((s, k) => (
        <polyline
          key={s.name}
          class={`plot-line s${k % 6}`}
          points={s.values.map((v, i) =>
            `${x(i).toFixed(1)},${y(v).toFixed(1)}`
          )
            .join(" ")}
        >
          <title>{s.name}</title>
        </polyline>
      ))}
    </Frame>
  );
}

/** Horizontal bars, largest first: one value per item. */
export function RankBars(
  props: {
    id: string;
    title: string;
    items: { label: string; value: number; href?: string }[];
    format: (value: number) => string;
  },
) {
  const max = Math.max(1, ...props.items.map((i) => i.value));
  return (
    <figure class="chart rank" data-chart={props.id}>
      <figcaption>
        <span>{props.title}</span>
      </figcaption>
      {props.items.length === 0
        ? <p class="muted">Nothing stored yet.</p>
        : (
          <ul class="rank-list">
            {props.items.map((item) => (
              <li key={item.label}>
                <span class="rank-label file-name" title={item.label}>
                  {item.href
                    ? <a href={item.href}>{item.label}</a>
                    : item.label}
                </span>
                <svg
                  viewBox="0 0 100 10"
                  preserveAspectRatio="none"
                  aria-hidden="true"
                >
                  <rect
                    class="bar s0"
                    x="0"
                    y="0"
                    height="10"
                    width={(item.value / max) * 100}
                  />
                </svg>
                <span class="rank-value">{props.format(item.value)}</span>
              </li>
            ))}
          </ul>
        )}
    </figure>
  );
}
