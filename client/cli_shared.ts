/**
 * What the `backup` and `restore` commands share: the `--timeout` option
 * and Ctrl-C handling.
 * @module
 */
import type { ConnectionOptions } from "./protocol_client.ts";

/** Longest `--timeout`, in seconds: a day, far beyond any answer worth waiting for. */
const MAX_TIMEOUT_SECONDS = 86_400;

/** The exit status of a command stopped by Ctrl-C (128 + SIGINT). */
export const INTERRUPTED_STATUS = 130;

/**
 * The connection options a `--timeout` in seconds asks for: undefined when
 * absent, a message when malformed.
 */
export function timeoutOption(
  text: string | undefined,
): ConnectionOptions | undefined | { error: string } {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS)) {
    return {
      error:
        `--timeout must be a number of seconds in (0, ${MAX_TIMEOUT_SECONDS}], not "${text}"`,
    };
  }
  const ms = Math.ceil(seconds * 1000);
  return {
    connectTimeoutMs: ms,
    firstResponseTimeoutMs: ms,
    responseTimeoutMs: ms,
  };
}

/**
 * Runs `work` with a signal that the first Ctrl-C aborts (the command stops
 * cleanly and says where it stopped); a second Ctrl-C quits at once.
 */
export async function withInterrupt<T>(
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const interrupt = new AbortController();
  const onSigint = () => {
    if (interrupt.signal.aborted) Deno.exit(INTERRUPTED_STATUS);
    interrupt.abort();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    return await work(interrupt.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}
