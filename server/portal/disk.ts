/**
 * Used and free space of the file system holding the data directory.
 * Deno has no statfs, so this asks `df`, and caches the answer a few
 * seconds so page views do not spawn processes.
 * @module
 */

/** Space on one file system, in bytes. */
export interface DiskUsage {
  total: number;
  used: number;
  free: number;
  mount: string;
}

const CACHE_MS = 5000;
const cache = new Map<
  string,
  { at: number; value: Promise<DiskUsage | undefined> }
>();

/** The disk usage of `dir`, or undefined when `df` is missing or fails. */
export function diskUsage(
  dir: string,
  now = Date.now(),
): Promise<DiskUsage | undefined> {
  const hit = cache.get(dir);
  if (hit && now - hit.at < CACHE_MS) return hit.value;
  const value = runDf(dir);
  cache.set(dir, { at: now, value });
  return value;
}

/** Parses `df -P -B1` output (header line, then one line per file system). */
export function parseDf(text: string): DiskUsage | undefined {
  const line = text.trim().split("\n")[1];
  if (!line) return undefined;
  const fields = line.trim().split(/\s+/);
  if (fields.length < 6) return undefined;
  const [total, used, free] = fields.slice(1, 4).map(Number);
  if (![total, used, free].every(Number.isFinite)) return undefined;
  return { total, used, free, mount: fields.slice(5).join(" ") };
}

async function runDf(dir: string): Promise<DiskUsage | undefined> {
  try {
    const output = await new Deno.Command("df", {
      args: ["-P", "-B1", dir],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    if (!output.success) return undefined;
    return parseDf(new TextDecoder().decode(output.stdout));
  } catch {
    return undefined;
  }
}
