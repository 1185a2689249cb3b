/**
 * LogTape's level names and their order, shared by the server's log sinks
 * and the portal's log tail in the browser. Pure: no I/O.
 * @module
 */

/** Log levels in increasing severity, as LogTape names them. */
export const LOG_LEVELS = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** True when `level` is `min` or more severe. */
export function atLeast(level: LogLevelName, min: LogLevelName): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(min);
}

/** Narrows an untrusted string (a query parameter) to a level name. */
export function parseLevel(
  value: string | undefined | null,
): LogLevelName | undefined {
  return (LOG_LEVELS as readonly string[]).includes(value ?? "")
    ? value as LogLevelName
    : undefined;
}
