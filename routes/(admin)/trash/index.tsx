/**
 * The trash: versions an administrator deleted, kept until their purge
 * date (the scheduled purge then deletes them; GC frees their content).
 * Each can be restored, or purged early: an explicit act, confirmed by a
 * tick box and recorded in the audit log. `?client=HEX` shows one client's.
 */
import { Csrf, flashOf, Layout } from "../../../components/Layout.tsx";
import { Pagination, TableBox } from "../../../components/Table.tsx";
import type { TrashedVersion } from "../../../server/history/trash_api.ts";
import { define, page } from "../../../server/portal/define.ts";
import { historyOf } from "../../../server/portal/history.ts";
import { parseClientId, positiveInt } from "../../../server/portal/params.ts";
import type { Page } from "../../../server/storage/types.ts";
import { toHex } from "../../../shared/encoding.ts";
import { formatBytes, formatTime } from "../../../shared/format.ts";

interface TrashData {
  list: Page<TrashedVersion>;
  client?: string;
  trashDays: number;
}

export const handler = define.handlers<TrashData>({
  GET(ctx) {
    const { trash } = historyOf(ctx.state.deps);
    const client = parseClientId(ctx.url.searchParams.get("client"));
    return page({
      list: trash.list({
        clientId: client,
        page: positiveInt(ctx.url.searchParams.get("page"), 1),
        pageSize: 50,
      }),
      client: client ? toHex(client) : undefined,
      trashDays: ctx.state.deps.config.trashDays,
    });
  },
});

export default define.page<TrashData>(
  function TrashPage({ data, url, session }) {
    const back = `${url.pathname}${url.search}`;
    return (
      <Layout title="Trash" url={url} session={session} flash={flashOf(url)}>
        <section class="panel">
          <p class="muted">
            Deleted versions stay here {data.trashDays}{" "}
            days, then the scheduled maintenance purges them. No client request
            can delete a version: only retention and administrators do.
          </p>
          <TableBox rows={data.list.rows.length} empty="The trash is empty.">
            <thead>
              <tr>
                <th>Client</th>
                <th>Name</th>
                <th class="num">#</th>
                <th class="num">Size</th>
                <th>Stored</th>
                <th>Trashed</th>
                <th>By</th>
                <th>Purged after</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {data.list.rows.map((v) => (
                <tr key={v.id} data-trashed={v.id}>
                  <td>
                    <code>{toHex(v.clientId).slice(0, 8)}</code>
                  </td>
                  <td>{v.fileName}</td>
                  <td class="num">{v.number}</td>
                  <td class="num">{formatBytes(v.size)}</td>
                  <td>{formatTime(v.storedAt)}</td>
                  <td>{formatTime(v.trashedAt)}</td>
                  <td>{v.trashedBy ?? "–"}</td>
                  <td>{formatTime(v.purgeAfter)}</td>
                  <td>
                    <form method="post" action="/trash/restore" class="inline">
                      <Csrf session={session} />
                      <input type="hidden" name="id" value={v.id} />
                      <input type="hidden" name="back" value={back} />
                      <button type="submit" class="button small">
                        Restore
                      </button>
                    </form>
                    <form method="post" action="/trash/purge" class="inline">
                      <Csrf session={session} />
                      <input type="hidden" name="id" value={v.id} />
                      <input type="hidden" name="back" value={back} />
                      <label class="check">
                        <input
                          type="checkbox"
                          name="confirm"
                          value="yes"
                          required
                        />{" "}
                        sure
                      </label>
                      <button type="submit" class="button small danger">
                        Purge now
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </TableBox>
          <Pagination
            url={url}
            page={data.list.page}
            pageSize={data.list.pageSize}
            total={data.list.total}
          />
        </section>
        {data.list.total > 0 && (
          <section class="panel">
            <h2>
              Purge {data.client ? "this client's" : "the whole"} trash now
            </h2>
            <form method="post" action="/trash/purge" class="stack">
              <Csrf session={session} />
              <input type="hidden" name="all" value="yes" />
              <input type="hidden" name="client" value={data.client ?? ""} />
              <input type="hidden" name="back" value="/trash" />
              <label class="check">
                <input type="checkbox" name="confirm" value="yes" required />
                {" "}
                Delete these {data.list.total}{" "}
                versions for good, before their date. This cannot be undone.
              </label>
              <button type="submit" class="button danger">
                Purge for good
              </button>
            </form>
          </section>
        )}
      </Layout>
    );
  },
);
