/**
 * The audit page's filters, parsed once from the query string (the page
 * and its CSV export read the same ones), and the CSV form of an entry.
 * @module
 */
import type { AuditEntry } from "../storage/types.ts";
import { positiveInt } from "./params.ts";

/** The filters as typed (shown back in the form). */
export interface AuditFilters {
  actor: string;
  action: string;
  /** YYYY-MM-DD, inclusive (UTC). */
  from: string;
  /** YYYY-MM-DD, inclusive (UTC). */
  to: string;
}

/** The query for `db.audit.list`. */
export interface AuditQuery {
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  page: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(text: string | null): string {
  const t = (text ?? "").trim();
  return DAY.test(t) && !Number.isNaN(Date.parse(`${t}T00:00:00Z`)) ? t : "";
}

/** Filters and query from the URL; anything malformed is dropped. */
export function auditQuery(
  params: URLSearchParams,
): { filters: AuditFilters; query: AuditQuery } {
  const filters: AuditFilters = {
    actor: (params.get("actor") ?? "").trim().slice(0, 100),
    action: (params.get("action") ?? "").trim().slice(0, 100),
    from: day(params.get("from")),
    to: day(params.get("to")),
  };
  const next = filters.to
    ? new Date(Date.parse(`${filters.to}T00:00:00Z`) + 86_400_000)
      .toISOString()
    : undefined;
  return {
    filters,
    query: {
      actor: filters.actor || undefined,
      action: filters.action || undefined,
      since: filters.from ? `${filters.from}T00:00:00.000Z` : undefined,
      until: next,
      page: positiveInt(params.get("page"), 1),
    },
  };
}

/** Header line of the CSV export. */
export const AUDIT_CSV_HEADER = "id,at,actor,address,action,target,detail\r\n";

/**
 * One CSV field (RFC 4180), with a leading =, +, - or @ defused so that a
 * spreadsheet never runs a name a client chose as a formula.
 */
export function csvField(value: string | number | null): string {
  let text = value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One entry as a CSV line. */
export function auditCsvLine(e: AuditEntry): string {
  return [e.id, e.at, e.actor, e.address, e.action, e.target, e.detail]
    .map(csvField).join(",") + "\r\n";
}
