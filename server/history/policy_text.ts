/**
 * Retention and quota policies as people type them ("30d", "10G",
 * "--keep-daily 7") and as they read them back: one parser for the admin
 * CLI and the portal's policy form. Pure.
 * @module
 */
import type { ClientPolicy } from "../storage/types.ts";
import { DURATION_UNITS, formatSeconds } from "./retention.ts";

/** Each policy field with its command-line option and how its value is written. */
export const POLICY_FIELDS: readonly {
  field: keyof ClientPolicy;
  option: string;
  kind: "count" | "duration" | "bytes";
  label: string;
}[] = [
  { field: "keepLast", option: "keep-last", kind: "count", label: "Keep last" },
  {
    field: "keepHourly",
    option: "keep-hourly",
    kind: "count",
    label: "Hourly",
  },
  { field: "keepDaily", option: "keep-daily", kind: "count", label: "Daily" },
  {
    field: "keepWeekly",
    option: "keep-weekly",
    kind: "count",
    label: "Weekly",
  },
  {
    field: "keepMonthly",
    option: "keep-monthly",
    kind: "count",
    label: "Monthly",
  },
  {
    field: "keepYearly",
    option: "keep-yearly",
    kind: "count",
    label: "Yearly",
  },
  {
    field: "keepWithinSeconds",
    option: "keep-within",
    kind: "duration",
    label: "Keep within",
  },
  {
    field: "quotaBytes",
    option: "quota-bytes",
    kind: "bytes",
    label: "Quota (bytes)",
  },
  {
    field: "quotaVersions",
    option: "quota-versions",
    kind: "count",
    label: "Quota (versions)",
  },
];

/** "1d12h" -> 129600; units y (365 days), w, d, h, m, s. Throws RangeError on anything else. */
export function parseDuration(text: string): number {
  const units = new Map(DURATION_UNITS);
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+)([ywdhms])/g)];
  if (
    parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed
  ) {
    throw new RangeError(
      `Cannot parse duration "${text}": expected e.g. 30d, 12h, 1y2w`,
    );
  }
  const seconds = parts.reduce(
    (sum, [, n, unit]) => sum + Number(n) * units.get(unit)!,
    0,
  );
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new RangeError(`Cannot parse duration "${text}": out of range`);
  }
  return seconds;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
};

/** "10G" -> 10737418240 (powers of 1024; a trailing "iB" or "B" is allowed). */
export function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!match) {
    throw new RangeError(
      `Cannot parse size "${text}": expected e.g. 500M, 10G, 1T`,
    );
  }
  const bytes = Math.round(
    Number(match[1]) * SIZE_UNITS[match[2].toUpperCase()],
  );
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new RangeError(`Cannot parse size "${text}": out of range`);
  }
  return bytes;
}

/** A non-negative whole number, or RangeError. */
function parseCount(text: string, option: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new RangeError(
      `Cannot parse --${option} "${text}": expected a whole number`,
    );
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`Cannot parse --${option} "${text}": out of range`);
  }
  return n;
}

/**
 * One field's value from text; "" or "inherit" gives null (inherit the
 * default, or no rule for the default itself).
 */
export function parsePolicyValue(
  field: keyof ClientPolicy,
  text: string,
): number | null {
  const spec = POLICY_FIELDS.find((f) => f.field === field)!;
  const value = text.trim();
  if (value === "" || value === "inherit") return null;
  if (spec.kind === "duration") return parseDuration(value);
  if (spec.kind === "bytes") return parseBytes(value);
  return parseCount(value, spec.option);
}

/** A field's value as the CLI and form show it: "" for null. */
export function formatPolicyValue(
  field: keyof ClientPolicy,
  value: number | null,
): string {
  if (value === null) return "";
  const spec = POLICY_FIELDS.find((f) => f.field === field)!;
  if (spec.kind === "duration") return formatSeconds(value);
  return String(value);
}

/**
 * Reads `--keep-last 3 --keep-within 30d ...` into changes to a policy
 * (only the options given); other arguments come back in `rest`.
 */
export function parsePolicyOptions(
  args: readonly string[],
): { changes: Partial<ClientPolicy>; rest: string[] } {
  const changes: Partial<ClientPolicy> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const spec = POLICY_FIELDS.find((f) => `--${f.option}` === args[i]);
    if (!spec) {
      rest.push(args[i]);
      continue;
    }
    const value = args[++i];
    if (value === undefined) {
      throw new RangeError(`--${spec.option} needs a value`);
    }
    changes[spec.field] = parsePolicyValue(spec.field, value);
  }
  return { changes, rest };
}

/** A policy as one line, e.g. "keep-last 3, keep-daily 7, keep-within 30d" (null fields left out). */
export function describePolicy(policy: ClientPolicy): string {
  const parts = POLICY_FIELDS
    .filter((f) => policy[f.field] !== null)
    .map((f) => `${f.option} ${formatPolicyValue(f.field, policy[f.field])}`);
  return parts.length ? parts.join(", ") : "none";
}
