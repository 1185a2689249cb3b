/**
 * Parsing of untrusted request values (query strings, form fields, path
 * parameters) into typed values, once, at the edge.
 * @module
 */
import { parseClientIdHex } from "../protocol/client_id.ts";

/** A 16-byte client id from its 32-character hex form; undefined when malformed. */
export function parseClientId(
  hex: string | undefined | null,
): Uint8Array | undefined {
  return hex ? parseClientIdHex(hex) : undefined;
}

/** A positive integer query value, else `fallback`. */
export function positiveInt(
  value: string | undefined | null,
  fallback: number,
): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** One of `allowed`, else `fallback`. */
export function oneOf<T extends string>(
  value: string | undefined | null,
  allowed: readonly T[],
  fallback: T,
): T {
  return (allowed as readonly string[]).includes(value ?? "")
    ? value as T
    : fallback;
}

/** "asc" or "desc", else `fallback`. */
export function direction(
  value: string | undefined | null,
  fallback: "asc" | "desc",
): "asc" | "desc" {
  return value === "asc" || value === "desc" ? value : fallback;
}

/** A trimmed search text of at most 200 characters; undefined when empty. */
export function searchText(
  value: string | undefined | null,
): string | undefined {
  const text = (value ?? "").trim().slice(0, 200);
  return text || undefined;
}

/** A string field of a parsed form body; undefined for files or missing fields. */
export function field(
  form: Record<string, unknown>,
  name: string,
): string | undefined {
  const value = form[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * The Files and Transfers "client" filter: a 32-hex id picks that client;
 * any other text picks every client whose name contains it; empty picks all.
 */
export function parseClientFilter(
  value: string | undefined | null,
): Uint8Array | { nameContains: string } | undefined {
  const text = searchText(value);
  if (!text) return undefined;
  return parseClientId(text) ?? { nameContains: text };
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * The instant a `datetime-local` field names ("2026-11-30T21:30" or with
 * seconds), read as UTC since the portal shows every time in UTC, as
 * ISO-8601 at the last millisecond of that second: "as at 21:30:15"
 * includes what was stored during 21:30:15. Undefined when malformed or
 * not a real date.
 */
export function utcDateTime(
  value: string | undefined | null,
): string | undefined {
  const match = DATE_TIME.exec((value ?? "").trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((
    part,
  ) => Number(part ?? 0));
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, 999);
  const date = new Date(ms);
  // Date.UTC rolls 31 April over to 1 May: refuse what does not round-trip.
  if (
    year < 1970 || date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day ||
    date.getUTCHours() !== hour || date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) return undefined;
  return date.toISOString();
}
