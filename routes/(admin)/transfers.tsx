/** Upload history, newest first, with the uploads in flight on top. */
import { Layout } from "../../components/Layout.tsx";
import { Pagination } from "../../components/Table.tsx";
import { TransfersTable } from "../../components/TransfersTable.tsx";
import ActiveTransfers from "../../islands/ActiveTransfers.tsx";
import LiveBadge from "../../islands/LiveBadge.tsx";
import { define, page } from "../../server/portal/define.ts";
import {
  oneOf,
  parseClientFilter,
  positiveInt,
} from "../../server/portal/params.ts";
import {
  type Page,
  TRANSFER_OUTCOMES,
  type TransferRow,
} from "../../server/storage/types.ts";
import type { ActiveTransfer } from "../../server/stats/snapshot.ts";

const OUTCOMES = ["all", ...TRANSFER_OUTCOMES] as const;

interface TransfersData {
  result: Page<TransferRow>;
  active: ActiveTransfer[];
  outcome: (typeof OUTCOMES)[number];
  client: string;
}

export const handler = define.handlers<TransfersData>({
  GET(ctx) {
    const params = ctx.url.searchParams;
    const outcome = oneOf(params.get("outcome"), OUTCOMES, "all");
    const clientText = (params.get("client") ?? "").trim();
    const client = parseClientFilter(clientText);
    const result = ctx.state.deps.db.transfers.list({
      client,
      outcome: outcome === "all" ? undefined : outcome,
      page: positiveInt(params.get("page"), 1),
    });
    return page({
      result,
      active: ctx.state.deps.stats.snapshot().transfers.active,
      outcome,
      client: clientText,
    });
  },
});

export default define.page<TransfersData>(
  function Transfers({ data, url, session }) {
    return (
      <Layout
        title="Transfers"
        url={url}
        session={session}
        actions={<LiveBadge />}
      >
        <section class="panel">
          <h2>In progress</h2>
          <ActiveTransfers transfers={data.active} />
        </section>
        <section class="panel">
          <h2>History</h2>
          <form class="toolbar" method="get" action="/transfers">
            <select name="outcome" aria-label="Outcome">
              {OUTCOMES.map((o) => (
                <option value={o} selected={o === data.outcome}>
                  {o === "all" ? "All outcomes" : o.replace("_", " ")}
                </option>
              ))}
            </select>
            <input
              name="client"
              value={data.client}
              placeholder="Client name or id"
              aria-label="Client name or id"
            />
            <button type="submit" class="button">Filter</button>
            {(data.client || data.outcome !== "all") && (
              <a class="button ghost" href="/transfers">Clear</a>
            )}
          </form>
          <TransfersTable rows={data.result.rows} showClient />
          <Pagination
            url={url}
            page={data.result.page}
            pageSize={data.result.pageSize}
            total={data.result.total}
          />
        </section>
      </Layout>
    );
  },
);
