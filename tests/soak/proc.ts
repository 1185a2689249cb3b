/**
 * What a process holds, read from /proc (Linux): open file descriptors and
 * resident memory, to show that hostile load leaves nothing behind.
 * @module
 */

/** Resources of one process at one moment. */
export interface ProcStats {
  /** Entries of /proc/<pid>/fd. */
  fds: number;
  /** VmRSS, in KiB. */
  rssKiB: number;
  /** Threads (workers plus the runtime's own). */
  threads: number;
}

/** True where /proc can tell us about a process. */
export function hasProc(): boolean {
  try {
    Deno.statSync("/proc/self/status");
    return true;
  } catch {
    return false;
  }
}

/** Open descriptors, resident memory and threads of `pid`. */
export async function procStats(pid: number): Promise<ProcStats> {
  let fds = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) fds++;
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  return { fds, rssKiB: field("VmRSS"), threads: field("Threads") };
}

/**
 * Polls `pid` until `done(stats)` holds or `timeoutMs` passes; returns the
 * last stats either way (the caller asserts).
 */
export async function settle(
  pid: number,
  done: (stats: ProcStats) => boolean,
  timeoutMs = 10_000,
): Promise<ProcStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await procStats(pid);
    if (done(stats) || Date.now() > deadline) return stats;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The soft limit on open files of processes this one starts (`ulimit -n`). */
export async function openFileLimit(): Promise<number> {
  try {
    const { stdout } = await new Deno.Command("sh", {
      args: ["-c", "ulimit -n"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const text = new TextDecoder().decode(stdout).trim();
    return text === "unlimited" ? Infinity : Number(text);
  } catch {
    return 1024;
  }
}

/** KiB as MiB with one decimal, for reports. */
export function mib(kib: number): string {
  return (kib / 1024).toFixed(1);
}
