/**
 * The server's log file: one JSON object per line, with every structured
 * property (who, what, from where), rotated by size. Lines are written on a
 * short timer, and at once for warnings and worse, so that a crash or a
 * SIGKILL loses nothing logged before the last warning.
 * @module
 */
import { getLogger, type LogRecord, type Sink } from "@logtape/logtape";
import { atLeast } from "../shared/log_levels.ts";
import { renderMessage } from "./stats/log_buffer.ts";

/** Size-based rotation and write-out timing of {@link getJsonLinesFileSink}. */
export interface JsonLinesOptions {
  /** Bytes after which the file is rotated to `<path>.1`. */
  maxSize: number;
  /** Rotated files kept (`<path>.1` … `<path>.<maxFiles>`). */
  maxFiles: number;
  /** Longest time an info record waits in memory before it is written. */
  flushMs: number;
}

/** Makes a value JSON-ready, safe to structured-clone, and readable. */
export function jsonValue(value: unknown): unknown {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function" || typeof value === "symbol") {
    return String(value);
  }
  return value;
}

/**
 * One record as a JSON line: time, level, category, the message with its
 * values interpolated bare (`CyberBackup 0.1.0 started`), and properties.
 */
export function formatJsonLine(record: LogRecord): string {
  return JSON.stringify({
    time: new Date(record.timestamp).toISOString(),
    level: record.level,
    category: record.category.join("."),
    message: renderMessage(record.message),
    properties: Object.fromEntries(
      Object.entries(record.properties).map(([k, v]) => [k, jsonValue(v)]),
    ),
  }) + "\n";
}

function openLog(path: string): Deno.FsFile {
  return Deno.openSync(path, {
    append: true,
    create: true,
    mode: 0o600,
  });
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

function renameIfExists(from: string, to: string): void {
  try {
    Deno.renameSync(from, to);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * A LogTape sink writing JSON lines to `path` (created 0600). Disposing it
 * writes what is pending and closes the file.
 */
export function getJsonLinesFileSink(
  path: string,
  options: JsonLinesOptions,
): Sink & Disposable {
  const encoder = new TextEncoder();
  let file = openLog(path);
  let size = file.statSync().size;
  let pending: string[] = [];
  // The current file is closed only once its successor is open: when the
  // open fails (no descriptor left, say), records keep going to the old
  // file, now named .1, until the next rotation.
  const rotate = () => {
    for (let i = options.maxFiles - 1; i >= 1; i--) {
      renameIfExists(`${path}.${i}`, `${path}.${i + 1}`);
    }
    renameIfExists(path, `${path}.1`);
    const next = openLog(path);
    file.close();
    file = next;
    size = 0;
  };
  const flush = () => {
    if (pending.length === 0) return;
    const bytes = encoder.encode(pending.join(""));
    pending = [];
    // A full disk must not take the server down through its own logging,
    // and a rotation that fails must not lose the records at hand.
    const meta = getLogger(["logtape", "meta"]);
    if (size > 0 && size + bytes.length > options.maxSize) {
      try {
        rotate();
      } catch (error) {
        size = 0; // tried again once another maxSize is written
        meta.error("Cannot rotate log file {path}: {error}", { path, error });
      }
    }
    try {
      writeAllSync(file, bytes);
      size += bytes.length;
    } catch (error) {
      meta.error("Cannot write log file {path}: {error}", { path, error });
    }
  };
  const timer = setInterval(flush, options.flushMs);
  Deno.unrefTimer(timer);
  const sink = (record: LogRecord) => {
    pending.push(formatJsonLine(record));
    if (atLeast(record.level, "warning")) flush();
  };
  return Object.assign(sink, {
    [Symbol.dispose]() {
      clearInterval(timer);
      flush();
      file.close();
    },
  });
}
