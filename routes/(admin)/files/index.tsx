/** Every stored file; filter by client, verified state and name. */
import { FilesTable } from "../../../components/FilesTable.tsx";
import { flashOf, Layout } from "../../../components/Layout.tsx";
import { Pagination } from "../../../components/Table.tsx";
import { define, page } from "../../../server/portal/define.ts";
import {
  type CountedFileRow,
  withVersionCounts,
} from "../../../server/portal/versions.ts";
import {
  direction,
  oneOf,
  parseClientFilter,
  positiveInt,
  searchText,
} from "../../../server/portal/params.ts";
import {
  FILE_SORT_KEYS,
  type FileSort,
  type Page,
} from "../../../server/storage/types.ts";

type Sort = FileSort;
const SORTS = FILE_SORT_KEYS;
const STATES = ["all", "verified", "unverified"] as const;

interface FilesData {
  result: Page<CountedFileRow>;
  client: string;
  state: (typeof STATES)[number];
  q: string;
  sort: Sort;
  dir: "asc" | "desc";
}

export const handler = define.handlers<FilesData>({
  GET(ctx) {
    const params = ctx.url.searchParams;
    const clientText = (params.get("client") ?? "").trim();
    const client = parseClientFilter(clientText);
    const state = oneOf(params.get("state"), STATES, "all");
    const sort = oneOf(params.get("sort"), SORTS, "stored");
    const dir = direction(params.get("dir"), sort === "name" ? "asc" : "desc");
    const q = searchText(params.get("q"));
    const db = ctx.state.deps.db;
    const result = withVersionCounts(
      db,
      db.files.list({
        client,
        verified: state === "all" ? undefined : state === "verified",
        q,
        sort,
        dir,
        page: positiveInt(params.get("page"), 1),
      }),
    );
    return page({
      result,
      client: clientText,
      state,
      q: q ?? "",
      sort,
      dir,
    });
  },
});

export default define.page<FilesData>(function Files({ data, url, session }) {
  return (
    <Layout title="Files" url={url} session={session} flash={flashOf(url)}>
      <form class="toolbar" method="get" action="/files" role="search">
        <input
          type="search"
          name="q"
          value={data.q}
          placeholder="File name contains"
          aria-label="File name"
        />
        <input
          name="client"
          value={data.client}
          placeholder="Client name or id"
          aria-label="Client name or id"
        />
        <select name="state" aria-label="Verified state">
          {(["all", "verified", "unverified"] as const).map((s) => (
            <option value={s} selected={s === data.state}>
              {s === "all" ? "All states" : s}
            </option>
          ))}
        </select>
        <input type="hidden" name="sort" value={data.sort} />
        <input type="hidden" name="dir" value={data.dir} />
        <button type="submit" class="button">Filter</button>
        {(data.q || data.client || data.state !== "all") && (
          <a class="button ghost" href="/files">Clear</a>
        )}
      </form>
      <FilesTable
        rows={data.result.rows}
        session={session}
        url={url}
        showClient
        sort={{ current: data.sort, dir: data.dir }}
      />
      <Pagination
        url={url}
        page={data.result.page}
        pageSize={data.result.pageSize}
        total={data.result.total}
      />
    </Layout>
  );
});
