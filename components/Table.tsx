/** Building blocks of the list pages: sortable headers, pagination, badges. */
import type { ComponentChildren } from "preact";
import { formatMinute, formatTime } from "../shared/format.ts";

/** A copy of `url` with some query parameters replaced (undefined removes one). */
export function withQuery(
  url: URL,
  changes: Record<string, string | number | undefined>,
): string {
  const next = new URL(url);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === "") next.searchParams.delete(key);
    else next.searchParams.set(key, String(value));
  }
  return `${next.pathname}${next.search}`;
}

/** A column heading that links to the page sorted by it (toggling the direction). */
export function SortHeader(
  props: {
    url: URL;
    sort: string;
    current: string;
    dir: "asc" | "desc";
    children: ComponentChildren;
  },
) {
  const active = props.sort === props.current;
  const dir = active && props.dir === "asc" ? "desc" : "asc";
  const arrow = active ? (props.dir === "asc" ? " ↑" : " ↓") : "";
  return (
    <th
      aria-sort={active
        ? (props.dir === "asc" ? "ascending" : "descending")
        : undefined}
    >
      <a
        href={withQuery(props.url, { sort: props.sort, dir, page: undefined })}
      >
        {props.children}
        {arrow}
      </a>
    </th>
  );
}

/** "Showing 51–100 of 10,000" with previous / next links. */
export function Pagination(
  props: { url: URL; page: number; pageSize: number; total: number },
) {
  const pages = Math.max(1, Math.ceil(props.total / props.pageSize));
  const first = props.total === 0 ? 0 : (props.page - 1) * props.pageSize + 1;
  const last = Math.min(props.total, props.page * props.pageSize);
  return (
    <nav class="pagination" aria-label="Pages">
      <span class="muted">
        {props.total === 0
          ? "Nothing to show"
          : `Showing ${first.toLocaleString("en-US")}–${
            last.toLocaleString("en-US")
          } of ${props.total.toLocaleString("en-US")}`}
      </span>
      <span class="pager">
        {props.page > 1
          ? (
            <a
              class="button ghost small"
              href={withQuery(props.url, { page: props.page - 1 })}
              rel="prev"
            >
              ← Previous
            </a>
          )
          : <span class="button ghost small disabled">← Previous</span>}
        <span class="muted">
          Page {props.page} of {pages.toLocaleString("en-US")}
        </span>
        {props.page < pages
          ? (
            <a
              class="button ghost small"
              href={withQuery(props.url, { page: props.page + 1 })}
              rel="next"
            >
              Next →
            </a>
          )
          : <span class="button ghost small disabled">Next →</span>}
      </span>
    </nav>
  );
}

/** A small coloured label. */
export function Badge(
  props: {
    kind: "ok" | "bad" | "warn" | "info" | "muted";
    children: ComponentChildren;
  },
) {
  return <span class={`badge ${props.kind}`}>{props.children}</span>;
}

/** The badge for a transfer outcome or a file's verified state. */
export function OutcomeBadge(props: { outcome: string }) {
  const kind = props.outcome === "verified"
    ? "ok"
    : props.outcome === "failed"
    ? "bad"
    : props.outcome === "aborted" || props.outcome === "interrupted"
    ? "warn"
    : "info";
  return <Badge kind={kind}>{props.outcome.replace("_", " ")}</Badge>;
}

/** A table in a horizontally scrolling box, so narrow screens keep every column. */
export function TableBox(
  props: { children: ComponentChildren; empty?: string; rows: number },
) {
  return (
    <div class="table-box">
      <table>{props.children}</table>
      {props.rows === 0 && (
        <p class="empty">{props.empty ?? "Nothing here yet."}</p>
      )}
    </div>
  );
}

/**
 * A table cell with a time to the minute; the seconds are in its tooltip.
 * `below` goes under the time, in smaller type (the `stacked` cell style).
 */
export function TimeCell(
  props: { value: string | null | undefined; below?: ComponentChildren },
) {
  return (
    <td class={props.below ? "stacked" : undefined}>
      <time
        dateTime={props.value ?? undefined}
        title={props.value ? formatTime(props.value) : undefined}
      >
        {formatMinute(props.value)}
      </time>
      {props.below}
    </td>
  );
}
