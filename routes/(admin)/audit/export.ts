/**
 * The audit log as CSV, with the page's filters, newest first, streamed a
 * page at a time (bounded memory however long the log).
 */
import { define } from "../../../server/portal/define.ts";
import {
  AUDIT_CSV_HEADER,
  auditCsvLine,
  auditQuery,
} from "../../../server/portal/audit_query.ts";

const PAGE = 200;

export const handler = define.handlers<never>({
  GET(ctx) {
    const parsed = auditQuery(ctx.url.searchParams).query;
    // Entries appended while the export runs would shift the pages (newest
    // first): the export ends at the moment it started.
    const started = new Date().toISOString();
    const query = {
      ...parsed,
      until: parsed.until && parsed.until < started ? parsed.until : started,
    };
    const audit = ctx.state.deps.db.audit;
    const encoder = new TextEncoder();
    let page = 1;
    let done = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(AUDIT_CSV_HEADER));
      },
      pull(controller) {
        if (done) return;
        const rows = audit.list({ ...query, page, pageSize: PAGE }).rows;
        page++;
        if (rows.length > 0) {
          controller.enqueue(encoder.encode(rows.map(auditCsvLine).join("")));
        }
        if (rows.length < PAGE) {
          done = true;
          controller.close();
        }
      },
    });
    const day = new Date().toISOString().slice(0, 10);
    return new Response(body, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition":
          `attachment; filename="cyberbackup-audit-${day}.csv"`,
        "cache-control": "no-store",
      },
    });
  },
});
