/**
 * Retention over the whole store or one client: streams the kept versions
 * in (client, name, number) order one page at a time (memory holds a page
 * and one name's versions, never the table), plans each name with
 * `planRetention`, and deletes the removed versions in small transactions
 * that also move the run's cursor, so uploads wait at most one batch and a
 * run killed at any point resumes after the last committed name. Removed
 * versions are deleted, not trashed; their content is left to GC.
 * @module
 */
import { fromHex, sameBytes, toHex } from "../../shared/encoding.ts";
import type {
  MaintenanceStorage,
  RunRecord,
  VersionHead,
  VersionKey,
} from "../storage/maintenance_types.ts";
import type { BackupStorage, PolicyStorage } from "../storage/types.ts";
import { type Actor } from "./trash_api.ts";
import {
  planRetention,
  type RetentionRules,
  type Verdict,
} from "./retention.ts";
import { exclusiveRun, yieldToEventLoop } from "./run_record.ts";

/** What retention needs of the database. */
export type RetentionStorage = Pick<BackupStorage, "transaction" | "audit"> & {
  maintenance: MaintenanceStorage;
  policies: PolicyStorage;
};

/** One name's plan. */
export interface NamePlan {
  clientId: Uint8Array;
  fileName: string;
  verdicts: Verdict<VersionHead>[];
}

/** Which versions to plan, and by which rules. */
export interface PlanScope {
  /** One client; every client when absent. */
  clientId?: Uint8Array;
  /** Rules for every client instead of the stored ones (a preview of an unsaved policy). */
  rules?: RetentionRules;
  /** Start after this name (a resumed run). */
  after?: VersionKey;
  /** Versions read per query. */
  pageSize?: number;
}

/**
 * Every name's plan, in (client, name) order. Holds one page of versions
 * and the versions of the name being gathered; each page is a new query
 * after the last row seen, so deletes between pages do not disturb it.
 */
export function* planNames(
  db: RetentionStorage,
  scope: PlanScope = {},
): Generator<NamePlan> {
  const pageSize = scope.pageSize ?? 2000;
  let after = scope.after;
  let group: VersionHead[] = [];
  let policyOf: { client: Uint8Array; rules: RetentionRules } | undefined;
  const plan = (versions: VersionHead[]): NamePlan => {
    const client = versions[0].clientId;
    if (!policyOf || !sameBytes(policyOf.client, client)) {
      policyOf = {
        client,
        rules: scope.rules ?? db.policies.effective(client),
      };
    }
    return {
      clientId: versions[0].clientId,
      fileName: versions[0].fileName,
      verdicts: planRetention(versions, policyOf.rules),
    };
  };
  for (;;) {
    const page = db.maintenance.keptVersionsAfter(
      after,
      pageSize,
      scope.clientId,
    );
    for (const version of page) {
      const first = group[0];
      if (
        first &&
        (first.fileName !== version.fileName ||
          !sameBytes(first.clientId, version.clientId))
      ) {
        yield plan(group);
        group = [];
      }
      group.push(version);
    }
    if (page.length < pageSize) break;
    const last = page[page.length - 1];
    after = {
      clientId: last.clientId,
      fileName: last.fileName,
      number: last.number,
    };
  }
  if (group.length > 0) yield plan(group);
}

/** The run's cursor: the last name whose removals are committed. */
export function encodeCursor(clientId: Uint8Array, fileName: string): string {
  return JSON.stringify({ client: toHex(clientId), name: fileName });
}

/** The key just past a cursor's name (every version of it is done). */
export function decodeCursor(cursor: string): VersionKey {
  const { client, name } = JSON.parse(cursor) as {
    client: string;
    name: string;
  };
  return {
    clientId: fromHex(client),
    fileName: name,
    number: Number.MAX_SAFE_INTEGER,
  };
}

/** How a run goes. */
export interface RetentionRunOptions {
  /** One client; every client when absent. */
  clientId?: Uint8Array;
  by: Actor;
  /** The clock (tests pass their own). */
  now?: () => Date;
  /** Versions deleted per transaction; 256 by default. */
  batch?: number;
  /** Versions read per query. */
  pageSize?: number;
  /** Called after each committed batch with the run's record. */
  onProgress?: (run: RunRecord) => void;
}

/**
 * Runs retention; resolves with the finished run's record, or undefined
 * when another retention run is alive. Audited as "retention.run".
 */
export async function runRetention(
  db: RetentionStorage,
  options: RetentionRunOptions,
): Promise<RunRecord | undefined> {
  const now = options.now ?? (() => new Date());
  const batch = options.batch ?? 256;
  const scope = options.clientId ? toHex(options.clientId) : "*";
  const job = { kind: "retention", scope, by: options.by, now } as const;
  return await exclusiveRun(db.maintenance, job, async (started) => {
    const figures = { examined: 0, removed: 0, files: 0, bytes: 0 };
    let pending: number[] = [];
    let cursor: string | null = null;
    let sinceFlush = 0;
    const flush = () => {
      const ids = pending;
      pending = [];
      sinceFlush = 0;
      db.transaction(() => {
        const done = db.maintenance.deleteRetained(ids);
        figures.removed += done.removed;
        figures.bytes += done.bytes;
        db.maintenance.progressRun(
          started.id,
          figures,
          cursor,
          now().toISOString(),
        );
      });
      options.onProgress?.(db.maintenance.run(started.id)!);
    };
    for (
      const name of planNames(db, {
        clientId: options.clientId,
        after: started.cursor ? decodeCursor(started.cursor) : undefined,
        pageSize: options.pageSize,
      })
    ) {
      figures.examined += name.verdicts.length;
      sinceFlush += name.verdicts.length;
      for (const v of name.verdicts) if (!v.keep) pending.push(v.version.id);
      cursor = encodeCursor(name.clientId, name.fileName);
      // Flush on a full batch, and now and then without one so that the
      // cursor and the heartbeat move on over names that lose nothing.
      if (pending.length >= batch || sinceFlush >= 20 * batch) {
        flush();
        await yieldToEventLoop();
      }
    }
    flush();
    const end = now().toISOString();
    db.transaction(() => {
      db.maintenance.finishRun(started.id, "done", null, end);
      db.audit.record({
        at: end,
        actor: options.by.actor,
        address: options.by.address,
        action: "retention.run",
        target: scope,
        detail: JSON.stringify({
          run: started.id,
          resumed: started.cursor !== null,
          examined: figures.examined,
          removed: figures.removed,
          bytes: figures.bytes,
        }),
      });
    });
  });
}

/** One row of a preview. */
export interface PreviewRow {
  clientId: string;
  fileName: string;
  id: number;
  number: number;
  storedAt: string;
  size: number;
  pinned: boolean;
  keep: boolean;
  reasons: string[];
}

/** What a run would do: totals over every version, and the first rows. */
export interface RetentionPreview {
  names: number;
  versions: number;
  remove: number;
  removeBytes: number;
  /** Up to `limit` rows (only removals when `removalsOnly`). */
  rows: PreviewRow[];
  /** True when rows were left out past `limit`. */
  truncated: boolean;
}

/**
 * What `runRetention` would remove now, exactly (the same planner over the
 * same rows), without changing anything; a PBS-style prune simulator. It
 * reads every version in scope, giving the event loop a turn every few
 * thousand, so the portal keeps answering while it previews a large store.
 */
export async function previewRetention(
  db: RetentionStorage,
  options: PlanScope & { limit?: number; removalsOnly?: boolean } = {},
): Promise<RetentionPreview> {
  const limit = options.limit ?? 500;
  const preview: RetentionPreview = {
    names: 0,
    versions: 0,
    remove: 0,
    removeBytes: 0,
    rows: [],
    truncated: false,
  };
  let sincePause = 0;
  for (const name of planNames(db, options)) {
    preview.names++;
    sincePause += name.verdicts.length;
    if (sincePause >= 5000) {
      sincePause = 0;
      await yieldToEventLoop();
    }
    for (const verdict of name.verdicts) {
      preview.versions++;
      if (!verdict.keep) {
        preview.remove++;
        preview.removeBytes += verdict.version.size;
      }
      if (options.removalsOnly && verdict.keep) continue;
      if (preview.rows.length >= limit) {
        preview.truncated = true;
        continue;
      }
      const v = verdict.version;
      preview.rows.push({
        clientId: toHex(v.clientId),
        fileName: v.fileName,
        id: v.id,
        number: v.number,
        storedAt: v.storedAt,
        size: v.size,
        pinned: v.pinned,
        keep: verdict.keep,
        reasons: verdict.reasons,
      });
    }
  }
  return preview;
}
