/** Clients: search, sort and paginate (in SQL). */
import { flashOf, Layout } from "../../../components/Layout.tsx";
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
import {
  CLIENT_SORT_KEYS,
  type ClientRow,
  type ClientSort,
  type Page,
} from "../../../server/storage/types.ts";

type Sort = ClientSort;
const SORTS = CLIENT_SORT_KEYS;

interface ClientsData {
  result: Page<ClientRow>;
  q: string;
  sort: Sort;
  dir: "asc" | "desc";
}

export const handler = define.handlers<ClientsData>({
  GET(ctx) {
    const params = ctx.url.searchParams;
    const sort = oneOf(params.get("sort"), SORTS, "name");
    const dir = direction(params.get("dir"), sort === "name" ? "asc" : "desc");
    const q = searchText(params.get("q"));
    const result = ctx.state.deps.db.clients.list({
      q,
      sort,
      dir,
      page: positiveInt(params.get("page"), 1),
    });
    return page({ result, q: q ?? "", sort, dir });
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
          <input type="hidden" name="sort" value={data.sort} />
          <input type="hidden" name="dir" value={data.dir} />
          <button type="submit" class="button">Search</button>
          {data.q && <a class="button ghost" href="/clients">Clear</a>}
        </form>
        <TableBox
          rows={result.rows.length}
          empty={data.q
            ? "No client matches this search."
            : "No client has registered yet."}
        >
          <thead>
            <tr>
              <SortHeader sort="name" {...sortProps}>Name</SortHeader>
              <th>Client id</th>
              <th class="num" title="Verified files / all files">
                Verified / files
              </th>
              <th class="num">Stored</th>
              <SortHeader sort="lastSeen" {...sortProps}>Last seen</SortHeader>
              <SortHeader sort="created" {...sortProps}>Registered</SortHeader>
              <th>Key</th>
            </tr>
          </thead>
          <tbody>
            {result.rows.map((c) => (
              <tr>
                <td class="file-name grow" title={c.name}>
                  <a href={`/clients/${c.id}`}>{c.name}</a>
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
                <td>
                  {c.hasKey
                    ? <Badge kind="ok">on file</Badge>
                    : <Badge kind="muted">none</Badge>}
                </td>
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
