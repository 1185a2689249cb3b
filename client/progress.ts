/**
 * The backup client's output: a redrawn progress bar with rate and ETA on a
 * terminal, plain log lines when the output is a file or a pipe.
 * @module
 */
import { formatBytes, formatRate } from "../shared/format.ts";
import type { UploadProgress } from "./upload.ts";

/** Where the client's own output goes; the CLI prints, tests collect. */
export interface BackupOutput {
  /** A status line ("Registered as alice"). */
  info(message: string): void;
  /** A recoverable problem ("retrying"). */
  warn(message: string): void;
  /** A failure; goes to the error stream. */
  error(message: string): void;
  /** Upload progress; the output decides how often to show it. */
  progress(progress: UploadProgress): void;
}

/** A synchronous byte sink such as `Deno.stdout`. */
export interface SyncWriter {
  writeSync(bytes: Uint8Array): number;
}

/** Options of `createOutput`. */
export interface OutputOptions {
  stdout?: SyncWriter;
  stderr?: SyncWriter;
  /** Draw a bar (default: whether stdout is a terminal). */
  terminal?: boolean;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
  /** Bar columns (default 30). */
  barWidth?: number;
  /** What the plain progress lines say is happening (default "upload"). */
  verb?: string;
}

/** Smallest interval between two redraws of the bar. */
const REDRAW_MS = 100;
const CLEAR_LINE = "\r\x1b[K";
const ENCODER = new TextEncoder();

function writeText(writer: SyncWriter, text: string): void {
  let bytes = ENCODER.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(writer.writeSync(bytes));
}

/** `1.50 MiB`-style sizes, the same text the portal shows. */
export { formatBytes };

/** `m:ss` or `h:mm:ss`; `--:--` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Percent, bytes, rate and ETA of one progress report, all in binary units. */
export function describeProgress(
  progress: UploadProgress,
  elapsedMs: number,
): { percent: number; text: string } {
  const { sent, total } = progress;
  const percent = total === 0 ? 100 : Math.floor((sent / total) * 100);
  const rate = elapsedMs > 0 ? sent / (elapsedMs / 1000) : 0;
  const eta = rate > 0 ? (total - sent) / rate : Number.NaN;
  const retry = progress.attempt > 1 ? ` (attempt ${progress.attempt})` : "";
  const text = `${percent}%  ${formatBytes(sent)} / ${formatBytes(total)}  ${
    formatRate(rate)
  }  ETA ${sent >= total ? "0:00" : formatDuration(eta)}${retry}`;
  return { percent, text };
}

/**
 * Builds the output. On a terminal the bar is redrawn in place at most
 * about ten times a second; otherwise one line per tenth of the file.
 */
export function createOutput(options: OutputOptions = {}): BackupOutput {
  const stdout = options.stdout ?? Deno.stdout;
  const stderr = options.stderr ?? Deno.stderr;
  const terminal = options.terminal ??
    (options.stdout === undefined && Deno.stdout.isTerminal());
  const now = options.now ?? (() => performance.now());
  const width = options.barWidth ?? 30;
  const verb = options.verb ?? "upload";
  let barShown = false;
  let lastDraw = -Infinity;
  let lastDecile = -1;
  let current: { key: string; start: number } | undefined;

  const endBar = () => {
    if (barShown) writeText(stdout, "\n");
    barShown = false;
  };
  const line = (writer: SyncWriter, text: string) => {
    if (barShown) writeText(stdout, CLEAR_LINE);
    barShown = false;
    writeText(writer, `${text}\n`);
  };
  return {
    info: (message) => line(stdout, message),
    warn: (message) => line(stderr, `warning: ${message}`),
    error: (message) => line(stderr, message),
    progress(progress) {
      const key = `${progress.fileName}#${progress.attempt}`;
      const t = now();
      if (current?.key !== key) {
        endBar();
        current = { key, start: t };
        lastDraw = -Infinity;
        lastDecile = -1;
      }
      const done = progress.sent >= progress.total;
      const { percent, text } = describeProgress(progress, t - current.start);
      if (terminal) {
        if (!done && t - lastDraw < REDRAW_MS) return;
        lastDraw = t;
        const filled = Math.round((percent / 100) * width);
        const bar = "#".repeat(filled) + "-".repeat(width - filled);
        writeText(
          stdout,
          `${CLEAR_LINE}${progress.fileName} [${bar}] ${text}`,
        );
        barShown = true;
        if (done) endBar();
        return;
      }
      const decile = Math.floor(percent / 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      writeText(stdout, `${verb} ${progress.fileName}: ${text}\n`);
    },
  };
}
