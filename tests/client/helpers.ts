/**
 * Shared setup of client tests: a folder with transfer.info and files, and
 * an output that collects what the client prints.
 * @module
 */
import { join } from "node:path";
import type { BackupOutput } from "../../client/progress.ts";
import type { UploadProgress } from "../../client/upload.ts";

/** An output that remembers every line. */
export interface CollectedOutput extends BackupOutput {
  lines: string[];
  errors: string[];
  progressReports: UploadProgress[];
}

/** Collects output instead of printing it. */
export function collectOutput(): CollectedOutput {
  const lines: string[] = [];
  const errors: string[] = [];
  const progressReports: UploadProgress[] = [];
  return {
    lines,
    errors,
    progressReports,
    info: (message) => lines.push(message),
    warn: (message) => lines.push(`warning: ${message}`),
    error: (message) => errors.push(message),
    progress: (progress) => progressReports.push({ ...progress }),
  };
}

/** Bytes that differ at every position, so misplaced bytes show. */
export function pattern(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/**
 * A temporary folder holding `files` and a transfer.info naming them (or
 * the `paths` given, for files that should be missing).
 */
export async function clientDir(
  port: number,
  options: {
    name?: string;
    files?: Record<string, Uint8Array>;
    paths?: string[];
  } = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cb-client-" });
  const files = options.files ?? {};
  for (const [name, data] of Object.entries(files)) {
    await Deno.writeFile(join(dir, name), data);
  }
  const paths = options.paths ?? Object.keys(files);
  await Deno.writeTextFile(
    join(dir, "transfer.info"),
    `127.0.0.1:${port}\n${options.name ?? "alice"}\n${paths.join("\n")}\n`,
  );
  return dir;
}
