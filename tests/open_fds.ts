/**
 * Descriptors this process holds open on files under one folder, read from
 * /proc/self/fd (Linux). Tests run in parallel in one process, so counting
 * all of its descriptors counts the neighbours' too (issue 11): a test
 * counts only those pointing into its own temporary folder, which no
 * neighbour touches.
 * @module
 */

/** True where /proc/self/fd can be read (Linux). */
export const HAS_PROC_FD = (() => {
  try {
    Deno.statSync("/proc/self/fd");
    return true;
  } catch {
    return false;
  }
})();

/**
 * Targets of the descriptors open on `dir` or below (a deleted file shows
 * as "<path> (deleted)"). Descriptors that close while being listed are
 * skipped.
 */
export function openFilesUnder(dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const targets: string[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
    } catch {
      continue;
    }
    if (target.startsWith(prefix) || target === dir) targets.push(target);
  }
  return targets.sort();
}
