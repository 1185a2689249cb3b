/**
 * Clients: search, sort and paginate (in SQL), with each client's state;
 * filtered or sorted by state, the list comes from the health of every
 * client (server/ops/health.ts), paged here.
 */
import { flashOf, Layout } from "../../../components/Layout.tsx";
import { StateBadge } from "../../../components/Health.tsx";
import {
  Badge,
  Pagination,
  SortHeader,
  TableBox,
  TimeCell,
} from "../../../components/Table.tsx";
import { formatBytes, formatCount } from "../../../shared/format.ts";
import { define, page } from "../../../server/portal/define.ts";
import {
  direction,
  oneOf,
  positiveInt,
  searchText,
} from "../../../server/portal/params.ts";
import type { ClientHealth } from "../../../server/ops/health.ts";
import { healthNow } from "../../../server/ops/portal.ts";
import {
  CLIENT_STATES,
  type ClientState,
  STATE_LABELS,
} from "../../../server/ops/state.ts";
import { fromHex } from "../../../shared/encoding.ts";
import {
  CLIENT_SORT_KEYS,
  type ClientRow,
  type Page,
} from "../../../server/storage/types.ts";

const SORTS = [...CLIENT_SORT_KEYS, "state"] as const;
type Sort = typeof SORTS[number];
/** The state filter: every client, those not ok, or one state. */
const FILTERS = ["", "attention", ...CLIENT_STATES] as const;
type Filter = typeof FILTERS[number];
const PAGE_SIZE = 50;

/** A row of the list: the client and its state. */
interface Row {
  client: ClientRow;
  health: ClientHealth | undefined;
}

interface ClientsData {
  result: Page<Row>;
  q: string;
  sort: Sort;
  dir: "asc" | "desc";
  state: Filter;
}

function matches(filter: Filter, state: ClientState): boolean {
  if (filter === "") return true;
  if (filter === "attention") return state !== "ok";
  return filter === state;
}

export const handler = define.handlers<ClientsData>({
  GET(ctx) {
    const params = ctx.url.searchParams;
    const sort = oneOf(params.get("sort"), SORTS, "name");
    const dir = direction(params.get("dir"), sort === "name" ? "asc" : "desc");
    const q = searchText(params.get("q"));
    const state = oneOf(params.get("state") ?? "", FILTERS, "");
    const pageNo = positiveInt(params.get("page"), 1);
    const { db } = ctx.state.deps;
    if (sort === "state" || state !== "") {
      // Every client's state is known only in memory: filter and page here.
      const needle = q?.toLowerCase();
      const all = healthNow(ctx.state.deps).filter((h) =>
        matches(state, h.state) &&
        (!needle || h.name.toLowerCase().includes(needle) ||
          h.id.startsWith(needle))
      );
      if (sort === "state") {
        // healthNow() already lists the most urgent first.
        if (dir === "asc") all.reverse();
      } else {
        // The SQL orders, by name as the default; state filters keep them by name.
        all.sort((a, b) =>
          (dir === "asc" ? 1 : -1) * a.name.localeCompare(b.name)
        );
      }
      const slice = all.slice((pageNo - 1) * PAGE_SIZE, pageNo * PAGE_SIZE);
      const rows = slice.flatMap((health) => {
        const client = db.clients.get(fromHex(health.id));
        return client ? [{ client, health }] : [];
      });
      return page({
        result: { rows, total: all.length, page: pageNo, pageSize: PAGE_SIZE },
        q: q ?? "",
        sort,
        dir,
        state,
      });
    }
    const listed = db.clients.list({
      q,
      sort,
      dir,
      page: pageNo,
      pageSize: PAGE_SIZE,
    });
    const health = new Map(
      healthNow(ctx.state.deps, listed.rows.map((c) => fromHex(c.id)))
        .map((h) => [h.id, h]),
    );
    return page({
      result: {
        ...listed,
        rows: listed.rows.map((client) => ({
          client,
          health: health.get(client.id),
        })),
      },
      q: q ?? "",
      sort,
      dir,
      state,
    });
  },
});

export default define.page<ClientsData>(
  function Clients({ data, url, session }) {
    const { result } = data;
    const sortProps = { url, current: data.sort, dir: data.dir };
    return (
      <Layout title="Clients" url={url} session={session} flash={flashOf(url)}>
        <form class="toolbar" method="get" action="/clients" role="search">
          <input
            type="search"
            name="q"
            value={data.q}
            placeholder="Name or id prefix"
            aria-label="Search clients"
          />
          <select name="state" aria-label="State">
            {FILTERS.map((f) => (
              <option value={f} selected={f === data.state}>
                {f === ""
                  ? "Every state"
                  : f === "attention"
                  ? "Needs attention"
                  : STATE_LABELS[f]}
              </option>
            ))}
          </select>
          <input type="hidden" name="sort" value={data.sort} />
          <input type="hidden" name="dir" value={data.dir} />
          <button type="submit" class="button">Search</button>
          {(data.q || data.state) && (
            <a class="button ghost" href="/clients">Clear</a>
          )}
        </form>
        <TableBox
          rows={result.rows.length}
          empty={data.q || data.state
            ? "No client matches this search."
            : "No client has registered yet."}
        >
          <thead>
            <tr>
              <SortHeader sort="name" {...sortProps}>Name</SortHeader>
              <SortHeader sort="state" {...sortProps}>State</SortHeader>
              <th>Client id</th>
              <th class="num" title="Verified files / all files">
                Verified / files
              </th>
              <th class="num">Stored</th>
              <SortHeader sort="lastSeen" {...sortProps}>Last seen</SortHeader>
              <SortHeader sort="created" {...sortProps}>Registered</SortHeader>
            </tr>
          </thead>
          <tbody>
            {result.rows.map(({ client: c, health }) => (
              <tr data-client={c.name}>
                <td class="file-name grow" title={c.name}>
                  <a href={`/clients/${c.id}`}>{c.name}</a>
                </td>
                <td>
                  {health && (
                    <StateBadge state={health.state} reason={health.reason} />
                  )}
                  {!c.hasKey && (
                    <>
                      {" "}
                      <Badge kind="muted">no key</Badge>
                    </>
                  )}
                </td>
                <td>
                  <code class="id" title={c.id}>{c.id.slice(0, 12)}…</code>
                </td>
                <td class="num">
                  {formatCount(c.verified)}
                  <span class="muted">/{formatCount(c.files)}</span>
                </td>
                <td class="num">{formatBytes(c.bytes)}</td>
                <TimeCell value={c.lastSeen} />
                <TimeCell value={c.createdAt} />
              </tr>
            ))}
          </tbody>
        </TableBox>
        <Pagination
          url={url}
          page={result.page}
          pageSize={result.pageSize}
          total={result.total}
        />
      </Layout>
    );
  },
);
