/**
 * Logging set-up: console and a rotating file under `logs/` in the main
 * thread; in worker threads one sink that forwards records to the main
 * thread, so a single writer owns the log file.
 * @module
 */
import {
  configure,
  getConsoleSink,
  getLogger,
  getTextFormatter,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import { AsyncLocalStorage } from "node:async_hooks";
import { join } from "node:path";
import type { LogLevel } from "./config.ts";
import { getJsonLinesFileSink, jsonValue } from "./log_file.ts";

/** A log record reduced to what survives `postMessage`. */
export interface ForwardedRecord {
  category: readonly string[];
  level: LogRecord["level"];
  timestamp: number;
  message: unknown[];
  rawMessage: string;
  properties: Record<string, unknown>;
}

/** A record as a cloneable object. */
export function forwardable(record: LogRecord): ForwardedRecord {
  return {
    category: record.category,
    level: record.level,
    timestamp: record.timestamp,
    message: record.message.map(jsonValue),
    rawMessage: typeof record.rawMessage === "string"
      ? record.rawMessage
      : record.rawMessage.join("{}"),
    properties: Object.fromEntries(
      Object.entries(record.properties).map(([k, v]) => [k, jsonValue(v)]),
    ),
  };
}

/** Re-emits a record that a worker forwarded, under its own category. */
export function emitForwarded(record: ForwardedRecord): void {
  const { category, ...rest } = record;
  getLogger([...category]).emit(rest);
}

/** Logging of `cyberbackup serve` (and other subcommands) in the main thread. */
export async function configureMainLogging(options: {
  level: LogLevel;
  /** Folder of the rotating log file; no file logging when absent. */
  logDir?: string;
  /** More sinks, e.g. the portal's live tail. */
  extraSinks?: Record<string, Sink>;
}): Promise<void> {
  // The file sink comes first: a warning is flushed to it before the same
  // record reaches the console, so a line anyone saw on the console is in
  // the file even when the process is killed right after.
  const sinks: Record<string, Sink> = {};
  if (options.logDir) {
    await Deno.mkdir(options.logDir, { recursive: true, mode: 0o700 });
    sinks.file = getJsonLinesFileSink(join(options.logDir, "cyberbackup.log"), {
      maxSize: 10 * 1024 * 1024,
      maxFiles: 5,
      flushMs: 200,
    });
  }
  sinks.console = getConsoleSink({
    formatter: getTextFormatter({
      timestamp: "date-time-timezone",
      // Strings read better bare: "listening on 0.0.0.0:1256", not "\"0.0.0.0\"".
      value: (v) => typeof v === "string" ? v : Deno.inspect(v),
    }),
  });
  Object.assign(sinks, options.extraSinks);
  await configure({
    reset: true,
    // withContext() adds who and from where to every record of a request.
    contextLocalStorage: new AsyncLocalStorage(),
    sinks,
    loggers: [
      {
        category: ["cyberbackup"],
        lowestLevel: options.level,
        sinks: Object.keys(sinks),
      },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["console"],
      },
    ],
  });
}

/** Logging inside a worker thread: everything goes to `post`. */
export async function configureWorkerLogging(options: {
  level: LogLevel;
  post: (record: ForwardedRecord) => void;
}): Promise<void> {
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { forward: (record) => options.post(forwardable(record)) },
    loggers: [
      {
        category: ["cyberbackup"],
        lowestLevel: options.level,
        sinks: ["forward"],
      },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["forward"],
      },
    ],
  });
}
