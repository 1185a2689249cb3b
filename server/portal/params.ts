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
