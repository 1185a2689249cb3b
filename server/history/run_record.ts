/**
 * Who runs a maintenance job, and whether a run recorded as 'running' is
 * still alive: only one run of a kind at a time, across the server and the
 * admin CLI, and a run killed with -9 does not block the next one.
 * @module
 */
import type {
  MaintenanceStorage,
  RunKind,
  RunRecord,
} from "../storage/maintenance_types.ts";
import type { Actor } from "./trash_api.ts";

/** How long a run on another host may go without a heartbeat before it counts as dead. */
export const HEARTBEAT_TIMEOUT_MS = 120_000;

/** This process, as a run's owner: "<host>:<pid>". */
export function currentOwner(): string {
  return `${Deno.hostname()}:${Deno.pid}`;
}

/**
 * True while the process that started `run` lives: on this host, its pid
 * still exists (Linux: /proc); elsewhere, its heartbeat is recent.
 */
export function runIsAlive(run: RunRecord, now = Date.now()): boolean {
  const at = run.owner.lastIndexOf(":");
  const host = run.owner.slice(0, at);
  const pid = Number(run.owner.slice(at + 1));
  if (host === Deno.hostname() && Number.isSafeInteger(pid)) {
    try {
      Deno.statSync(`/proc/${pid}`);
      return true;
    } catch {
      // No /proc entry: the process is gone (or this is not Linux, then
      // fall back to the heartbeat).
      if (Deno.build.os === "linux") return false;
    }
  }
  return now - Date.parse(run.updatedAt) < HEARTBEAT_TIMEOUT_MS;
}

/** Gives the event loop a turn between batches, so the server keeps answering. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Runs `body` as the one live run of its kind: undefined, without running
 * it, while another is alive. A throw marks the run 'failed' and is
 * rethrown; otherwise the run's record as `body` left it.
 */
export async function exclusiveRun(
  m: Pick<MaintenanceStorage, "beginRun" | "finishRun" | "run">,
  job: { kind: RunKind; scope: string; by: Actor; now: () => Date },
  body: (run: RunRecord) => Promise<void>,
): Promise<RunRecord | undefined> {
  const { now } = job;
  const run = m.beginRun(
    {
      kind: job.kind,
      scope: job.scope,
      actor: job.by.actor,
      owner: currentOwner(),
    },
    now().toISOString(),
    (r) => runIsAlive(r, now().getTime()),
  );
  if (!run) return undefined;
  try {
    await body(run);
  } catch (error) {
    m.finishRun(
      run.id,
      "failed",
      (error as Error).message,
      now().toISOString(),
    );
    throw error;
  }
  return m.run(run.id);
}
