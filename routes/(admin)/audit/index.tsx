/** The audit log: administrators' acts, newest first, filtered, exportable as CSV. */
import { Layout } from "../../../components/Layout.tsx";
import { Pagination, TableBox, TimeCell } from "../../../components/Table.tsx";
import { define, page } from "../../../server/portal/define.ts";
import {
  type AuditFilters,
  auditQuery,
} from "../../../server/portal/audit_query.ts";
import type { AuditEntry, Page } from "../../../server/storage/types.ts";

interface AuditData {
  result: Page<AuditEntry>;
  filters: AuditFilters;
}

export const handler = define.handlers<AuditData>({
  GET(ctx) {
    const { filters, query } = auditQuery(ctx.url.searchParams);
    return page({ result: ctx.state.deps.db.audit.list(query), filters });
  },
});

export default define.page<AuditData>(function Audit({ data, url, session }) {
  const { result, filters } = data;
  const exportUrl = `/audit/export${url.search}`;
  return (
    <Layout
      title="Audit log"
      url={url}
      session={session}
      actions={
        <a class="button" href={exportUrl} download>
          Export CSV
        </a>
      }
    >
      <form class="toolbar" method="get" action="/audit" role="search">
        <input
          name="actor"
          value={filters.actor}
          placeholder="Administrator"
          aria-label="Administrator"
        />
        <input
          name="action"
          value={filters.action}
          placeholder="Action, e.g. client"
          aria-label="Action"
        />
        <input type="date" name="from" value={filters.from} aria-label="From" />
        <input type="date" name="to" value={filters.to} aria-label="To" />
        <button type="submit" class="button">Filter</button>
        {url.search && <a class="button ghost" href="/audit">Clear</a>}
      </form>
      <TableBox rows={result.rows.length} empty="No recorded act matches.">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>From</th>
            <th>Action</th>
            <th>Target</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {result.rows.map((e) => (
            <tr data-action={e.action}>
              <TimeCell value={e.at} />
              <td>{e.actor}</td>
              <td>
                <code>{e.address ?? ""}</code>
              </td>
              <td>
                <code>{e.action}</code>
              </td>
              <td class="file-name" title={e.target ?? ""}>
                {e.target ?? ""}
              </td>
              <td class="muted file-name grow" title={e.detail ?? ""}>
                {e.detail ?? ""}
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
});
