/**
 * Retention + GC over a synthetic history of N versions (1,000,000 by
 * default): 100 clients x N/1000 names... precisely `clients` x `names` x
 * 10 versions a day apart, sharing N/5 distinct contents (object files on
 * disk), written straight into a fresh data directory as the server keeps
 * them (no ANALYZE beyond what `Database.open` itself runs). Policy
 * keep-last 3, so 70 % of the versions go and GC collects what no kept
 * version references. Each measurement runs in a child process that
 * reports its own peak RSS (VmHWM of /proc/self/status):
 *
 * - baseline: open the database and read every version once in index
 *   order (the least any retention must do);
 * - run: `runRetention` then `collectGarbage`, the product code.
 *
 *     deno run -A bench/retention.ts [--versions N] [--no-objects]
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { collectGarbage } from "../server/history/gc.ts";
import { runRetention } from "../server/history/retention_run.ts";
import { Database } from "../server/storage/database.ts";
import { FileStore } from "../server/storage/file_store.ts";
import { NO_POLICY } from "../server/storage/sqlite/policies.ts";
import { writeSyntheticHistory } from "../tests/history/synthetic.ts";
import { print } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    versions: { type: "string", default: "1000000" },
    "no-objects": { type: "boolean", default: false },
    child: { type: "string" },
    "data-dir": { type: "string" },
  },
});

/** Peak resident set of this process in MiB. */
function peakRssMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

interface ChildReport {
  ms: number;
  peakMiB: number;
  detail: Record<string, number>;
}

async function child(mode: string, dataDir: string): Promise<ChildReport> {
  const db = Database.open(join(dataDir, "defensive.db"));
  const t0 = performance.now();
  const detail: Record<string, number> = {};
  if (mode === "baseline") {
    let rows = 0;
    for (
      const _ of db.handle.prepare(
        `SELECT VersionID, ClientID, FileName, Number, StoredAt, Pinned FROM versions
         WHERE TrashedAt IS NULL ORDER BY ClientID, FileName, Number`,
      ).iterate()
    ) rows++;
    detail.rows = rows;
  } else {
    const by = { actor: "bench", address: null };
    const retention = await runRetention(db, { by });
    detail.retentionMs = performance.now() - t0;
    detail.examined = retention!.examined;
    detail.removed = retention!.removed;
    const store = new FileStore(join(dataDir, "received_files"));
    const gc = await collectGarbage(db, store, { by });
    detail.gcMs = performance.now() - t0 - detail.retentionMs;
    detail.contents = gc!.removed;
    detail.files = gc!.files;
    detail.bytes = gc!.bytes;
  }
  const ms = performance.now() - t0;
  db.close();
  return { ms, peakMiB: peakRssMiB(), detail };
}

async function measure(mode: string, dataDir: string): Promise<ChildReport> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--child",
      mode,
      "--data-dir",
      dataDir,
    ],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`${mode} child failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout)) as ChildReport;
}

if (values.child) {
  print(JSON.stringify(await child(values.child, values["data-dir"]!)));
} else {
  const versions = Number(values.versions);
  const clients = 100;
  const names = Math.max(1, Math.round(versions / clients / 10));
  const dataDir = await Deno.makeTempDir({ prefix: "cb-bench-retention-" });
  try {
    let t0 = performance.now();
    const written = writeSyntheticHistory(dataDir, {
      clients,
      namesPerClient: names,
      versionsPerName: 10,
      contents: Math.max(1, Math.round(versions / 5)),
      objects: !values["no-objects"],
    });
    const db = Database.open(join(dataDir, "defensive.db"));
    db.policies.set(
      "*",
      { ...NO_POLICY, keepLast: 3 },
      new Date().toISOString(),
    );
    db.close();
    print(
      `synthetic history: ${written} versions, ${clients * names} names, ${
        Math.round(versions / 5)
      } contents${
        values["no-objects"] ? " (no object files)" : " with object files"
      }, written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    t0 = performance.now();
    const baseline = await measure("baseline", dataDir);
    const run = await measure("run", dataDir);
    const d = run.detail;
    print(
      `baseline (read every version once): ${
        (baseline.ms / 1000).toFixed(2)
      } s, peak RSS ${baseline.peakMiB.toFixed(0)} MiB`,
    );
    print(
      `retention: ${
        (d.retentionMs / 1000).toFixed(2)
      } s, ${d.examined} examined, ${d.removed} removed`,
    );
    print(
      `gc: ${
        (d.gcMs / 1000).toFixed(2)
      } s, ${d.contents} contents rows, ${d.files} files, ${d.bytes} bytes freed`,
    );
    print(
      `retention + gc: ${(run.ms / 1000).toFixed(2)} s, peak RSS ${
        run.peakMiB.toFixed(0)
      } MiB (target < 256 MiB)`,
    );
    print(
      `ratios: time ${
        (run.ms / baseline.ms).toFixed(1)
      }x the baseline read; peak RSS ${
        (run.peakMiB / baseline.peakMiB).toFixed(2)
      }x the baseline's, ${(run.peakMiB / 256).toFixed(2)} of the target`,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}
