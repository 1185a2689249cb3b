/**
 * A LogTape sink that keeps the most recent log records in memory, for the
 * portal's live log tail. Records are flattened to JSON-ready entries once,
 * when they arrive.
 * @module
 */
import type { LogRecord, Sink } from "@logtape/logtape";
import { toHex } from "../../shared/encoding.ts";
import { atLeast, type LogLevelName } from "../../shared/log_levels.ts";

/** A log record as the portal shows it. */
export interface LogEntry {
  /** Increasing number, unique within the buffer's life. */
  id: number;
  time: number;
  level: LogLevelName;
  category: string;
  message: string;
  /** Structured properties, rendered as `key=value` text. */
  properties: string;
}

/** How many records a {@link LogBuffer} keeps unless told otherwise. */
export const DEFAULT_CAPACITY = 500;

/**
 * True for what an administrator must not lose among connection noise:
 * warnings and worse, and the portal's records (sign-ins, deletions,
 * changed limits).
 */
export function isSecurityEvent(
  entry: Pick<LogEntry, "level" | "category">,
): boolean {
  return atLeast(entry.level, "warning") ||
    entry.category.startsWith("cyberbackup.portal");
}

/**
 * Keeps the last records and tells subscribers about new ones. Security
 * events ({@link isSecurityEvent}) have a ring of their own, so that a flood
 * of anonymous connections cannot push them out.
 *
 * @example
 * ```ts
 * const logs = new LogBuffer();
 * await configure({ sinks: { portal: logs.sink }, loggers: [...] });
 * ```
 */
export class LogBuffer {
  readonly #capacity: number;
  readonly #noise: LogEntry[] = [];
  readonly #security: LogEntry[] = [];
  readonly #listeners = new Set<(entry: LogEntry) => void>();
  #nextId = 1;

  /** The LogTape sink to put in the logging configuration. */
  readonly sink: Sink = (record) => this.push(record);

  /** `capacity` applies to each ring: security events and the rest. */
  constructor(options: { capacity?: number } = {}) {
    this.#capacity = options.capacity ?? DEFAULT_CAPACITY;
  }

  /** Stores one record (the sink calls this). */
  push(record: LogRecord): void {
    const entry: LogEntry = {
      id: this.#nextId++,
      time: record.timestamp,
      level: record.level,
      category: record.category.join("."),
      message: renderMessage(record.message),
      properties: renderProperties(record.properties),
    };
    const ring = isSecurityEvent(entry) ? this.#security : this.#noise;
    ring.push(entry);
    if (ring.length > this.#capacity) ring.shift();
    for (const listener of this.#listeners) listener(entry);
  }

  /** Stored entries at `min` level or above, oldest first. */
  entries(min: LogLevelName = "trace"): LogEntry[] {
    return [...this.#noise, ...this.#security]
      .filter((entry) => atLeast(entry.level, min))
      .sort((a, b) => a.id - b.id);
  }

  /** Calls `listener` with each new entry; returns the function that stops it. */
  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

/** A message's parts joined, its interpolated values bare (no quotes). */
export function renderMessage(parts: readonly unknown[]): string {
  return parts.map((part, i) => i % 2 === 0 ? String(part) : renderValue(part))
    .join("");
}

function renderProperties(properties: Record<string, unknown>): string {
  return Object.entries(properties).map(([key, value]) =>
    `${key}=${renderValue(value)}`
  ).join(" ");
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value instanceof Uint8Array) {
    return toHex(value);
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
