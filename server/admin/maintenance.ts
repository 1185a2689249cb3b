/**
 * The admin CLI's history maintenance commands (issue 13), each audited
 * with the actor "cli:<user>":
 *
 *     admin retention preview|run [--client HEX] [--all] [--json]
 *     admin policy get|set [--client HEX] [--keep-last N ...] [--clear]
 *     admin trash list|restore ID...|purge (ID... | --client HEX | --all)
 *     admin gc
 * @module
 */
import { userInfo } from "node:os";
import { join } from "node:path";
import { fromHex, toHex } from "../../shared/encoding.ts";
import { formatBytes, formatCount } from "../../shared/format.ts";
import { collectGarbage } from "../history/gc.ts";
import { describePolicy, parsePolicyOptions } from "../history/policy_text.ts";
import { previewRetention, runRetention } from "../history/retention_run.ts";
import { Trash } from "../history/trash.ts";
import type { Actor } from "../history/trash_api.ts";
import type { Database } from "../storage/database.ts";
import { FileStore } from "../storage/file_store.ts";
import type { RunRecord } from "../storage/maintenance_types.ts";
import { NO_POLICY } from "../storage/sqlite/policies.ts";
import type { ClientPolicy } from "../storage/types.ts";

/** Usage lines of the maintenance commands, for command.ts's help. */
export const MAINTENANCE_USAGE =
  `  cyberbackup admin retention preview|run [--client HEX] [--all] [--json]
      Shows which versions the retention policies would remove (--all: the
      kept ones too, with reasons), or removes them.
  cyberbackup admin policy get [--client HEX] [--json]
  cyberbackup admin policy set [--client HEX] [--keep-last N] [--keep-hourly N]
      [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--keep-yearly N]
      [--keep-within 30d] [--quota-bytes 10G] [--quota-versions N] | --clear
      Reads or changes the default policy or a client's overrides ("" or
      "inherit" as a value removes that rule).
  cyberbackup admin trash list [--client HEX] [--json]
  cyberbackup admin trash restore ID...
  cyberbackup admin trash purge ID... | --client HEX | --all
      Lists, restores or purges (early, for good) trashed versions.
  cyberbackup admin gc
      Deletes content no version references and object files without a row.
`;

/** Output streams of a command. */
interface Out {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** What the commands need besides their arguments. */
export interface MaintenanceContext {
  db: Database;
  dataDir: string;
  trashDays: number;
  io: Out;
}

/** The CLI's actor: "cli:<login name>". */
export function cliActor(): Actor {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): keep "unknown".
  }
  return { actor: `cli:${user}`, address: null };
}

/** A usage error: exit code 2 with the message. */
class UsageError extends Error {}

/** Removes `--name VALUE` from args; returns VALUE. */
function takeOption(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at === -1) return undefined;
  const value = args[at + 1];
  if (value === undefined) throw new UsageError(`${name} needs a value`);
  args.splice(at, 2);
  return value;
}

/** Removes `--flag` from args; true when it was there. */
function takeFlag(args: string[], name: string): boolean {
  const at = args.indexOf(name);
  if (at === -1) return false;
  args.splice(at, 1);
  return true;
}

function clientOf(args: string[]): Uint8Array | undefined {
  const hex = takeOption(args, "--client");
  if (hex === undefined) return undefined;
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new UsageError(`--client needs a client id of 32 hex digits`);
  }
  return fromHex(hex.toLowerCase());
}

function noMore(args: string[]): void {
  if (args.length > 0) throw new UsageError(`Unknown argument: ${args[0]}`);
}

/**
 * Runs `retention`, `policy`, `trash` or `gc`; undefined when `command` is
 * none of them.
 */
export async function runMaintenanceCommand(
  command: string,
  args: string[],
  ctx: MaintenanceContext,
): Promise<number | undefined> {
  const commands: Record<string, () => Promise<number> | number> = {
    retention: () => retention(args, ctx),
    policy: () => policy(args, ctx),
    trash: () => trash(args, ctx),
    gc: () => gc(args, ctx),
  };
  if (!Object.hasOwn(commands, command)) return undefined;
  try {
    return await commands[command]();
  } catch (error) {
    if (error instanceof UsageError || error instanceof RangeError) {
      ctx.io.err(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function describeRun(run: RunRecord): string {
  return `${run.kind} run ${run.id}: ${run.state}, ${
    formatCount(run.examined)
  } examined, ${formatCount(run.removed)} removed, ${
    run.files ? `${formatCount(run.files)} files, ` : ""
  }${formatBytes(run.bytes)} freed\n`;
}

async function retention(args: string[], ctx: MaintenanceContext) {
  const action = args.shift();
  const clientId = clientOf(args);
  const all = takeFlag(args, "--all");
  const json = takeFlag(args, "--json");
  noMore(args);
  if (action === "preview") {
    const preview = previewRetention(ctx.db, {
      clientId,
      removalsOnly: !all,
      limit: 100_000,
    });
    if (json) {
      ctx.io.out(JSON.stringify(preview, null, 2) + "\n");
      return 0;
    }
    for (const row of preview.rows) {
      ctx.io.out(
        `${
          row.keep ? "keep  " : "remove"
        }  ${row.clientId}  ${row.fileName}  #${row.number}  ${row.storedAt}  ${
          formatBytes(row.size)
        }${row.reasons.length ? `  (${row.reasons.join("; ")})` : ""}\n`,
      );
    }
    ctx.io.out(
      `${formatCount(preview.remove)} of ${
        formatCount(preview.versions)
      } versions in ${formatCount(preview.names)} names would be removed (${
        formatBytes(preview.removeBytes)
      })${preview.truncated ? "; list truncated" : ""}\n`,
    );
    return 0;
  }
  if (action === "run") {
    const run = await runRetention(ctx.db, {
      clientId,
      by: cliActor(),
      onProgress: (r) =>
        ctx.io.err(
          `\r${formatCount(r.examined)} examined, ${
            formatCount(r.removed)
          } removed`,
        ),
    });
    if (!run) {
      ctx.io.err("Another retention run is in progress; try again later.\n");
      return 1;
    }
    ctx.io.err("\n");
    ctx.io.out(describeRun(run));
    return 0;
  }
  throw new UsageError("Use: admin retention preview|run [--client HEX]");
}

function policy(args: string[], ctx: MaintenanceContext) {
  const action = args.shift();
  const clientId = clientOf(args);
  const scope = clientId ?? "*";
  const json = takeFlag(args, "--json");
  if (action === "get") {
    noMore(args);
    const stored = ctx.db.policies.get(scope) ?? NO_POLICY;
    const effective = clientId ? ctx.db.policies.effective(clientId) : stored;
    if (json) {
      ctx.io.out(JSON.stringify({ stored, effective }, null, 2) + "\n");
    } else {
      ctx.io.out(`stored:    ${describePolicy(stored)}\n`);
      if (clientId) ctx.io.out(`effective: ${describePolicy(effective)}\n`);
    }
    return 0;
  }
  if (action === "set") {
    const clear = takeFlag(args, "--clear");
    const { changes, rest } = parsePolicyOptions(args);
    noMore(rest);
    const now = new Date().toISOString();
    let next: ClientPolicy | undefined;
    ctx.db.transaction(() => {
      if (clear) {
        if (!clientId) throw new UsageError("--clear needs --client");
        ctx.db.policies.clear(clientId);
      } else {
        next = { ...(ctx.db.policies.get(scope) ?? NO_POLICY), ...changes };
        ctx.db.policies.set(scope, next, now);
      }
      ctx.db.audit.record({
        ...cliActor(),
        at: now,
        action: clear ? "policy.clear" : "policy.set",
        target: scope === "*" ? "*" : toHex(scope),
        detail: next ? describePolicy(next) : null,
      });
    });
    ctx.io.out(
      next ? `Policy set: ${describePolicy(next)}\n` : "Overrides removed.\n",
    );
    return 0;
  }
  throw new UsageError("Use: admin policy get|set [--client HEX] ...");
}

function trash(args: string[], ctx: MaintenanceContext) {
  const action = args.shift();
  const store = new FileStore(join(ctx.dataDir, "received_files"));
  const service = new Trash(ctx.db, store, { trashDays: ctx.trashDays });
  const now = new Date().toISOString();
  if (action === "list") {
    const clientId = clientOf(args);
    const json = takeFlag(args, "--json");
    noMore(args);
    const rows = [];
    for (let page = 1;; page++) {
      const result = service.list({ clientId, page, pageSize: 200 });
      rows.push(...result.rows);
      if (page * result.pageSize >= result.total) break;
    }
    if (json) {
      ctx.io.out(
        JSON.stringify(
          rows,
          (_, v) => v instanceof Uint8Array ? toHex(v) : v,
          2,
        ) + "\n",
      );
    } else if (rows.length === 0) {
      ctx.io.out("The trash is empty.\n");
    } else {
      for (const r of rows) {
        ctx.io.out(
          `${r.id}  ${toHex(r.clientId)}  ${r.fileName}  #${r.number}  ${
            formatBytes(r.size)
          }  trashed ${r.trashedAt} by ${
            r.trashedBy ?? "-"
          }, purged after ${r.purgeAfter}\n`,
        );
      }
    }
    return 0;
  }
  const ids = () => {
    if (args.length === 0 || args.some((a) => !/^\d+$/.test(a))) {
      throw new UsageError("Give version ids (numbers)");
    }
    return args.map(Number);
  };
  if (action === "restore") {
    let restored = 0;
    for (const id of ids()) {
      if (service.restore(id, cliActor(), now)) restored++;
      else ctx.io.err(`Version ${id} is not in the trash.\n`);
    }
    ctx.io.out(`${restored} restored.\n`);
    return restored > 0 ? 0 : 1;
  }
  if (action === "purge") {
    const clientId = clientOf(args);
    const all = takeFlag(args, "--all");
    const target = all
      ? "all" as const
      : clientId
      ? { clientId }
      : { ids: ids() };
    if (all || clientId) noMore(args);
    const purged = service.purge(target, cliActor(), now);
    ctx.io.out(
      `${purged} purged for good; run "admin gc" to free their content.\n`,
    );
    return 0;
  }
  throw new UsageError("Use: admin trash list|restore|purge ...");
}

async function gc(args: string[], ctx: MaintenanceContext) {
  noMore(args);
  const store = new FileStore(join(ctx.dataDir, "received_files"));
  const run = await collectGarbage(ctx.db, store, { by: cliActor() });
  if (!run) {
    ctx.io.err("Another garbage collection is in progress; try again later.\n");
    return 1;
  }
  ctx.io.out(describeRun(run));
  return 0;
}
