/**
 * What must hold of a data directory's history after any crash and the
 * next start: every version's content has its row and an object with that
 * SHA-256; every files row is the newest kept version of its name and its
 * path holds that content; `.gc/` is empty (start-up recovery ran).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { FileStore } from "../../server/storage/file_store.ts";

function hashFile(path: string): string | undefined {
  try {
    return createHash("sha256").update(Deno.readFileSync(path)).digest("hex");
  } catch {
    return undefined;
  }
}

/** The broken rules, as sentences; empty when the history is sound. */
export function historyProblems(dataDir: string): string[] {
  const problems: string[] = [];
  const store = new FileStore(join(dataDir, "received_files"));
  const db = new DatabaseSync(join(dataDir, "defensive.db"), {
    readOnly: true,
  });
  try {
    const checked = new Map<string, string | undefined>();
    for (
      const row of db.prepare(
        `SELECT v.Sha256 AS sha, c.Sha256 AS row FROM versions v
         LEFT JOIN contents c ON c.Sha256 = v.Sha256 GROUP BY v.Sha256`,
      ).all()
    ) {
      const sha = String(row.sha);
      if (row.row === null) problems.push(`version content ${sha} has no row`);
      const actual = hashFile(store.objects.objectPath(sha));
      checked.set(sha, actual);
      if (actual !== sha) {
        problems.push(`object ${sha} is ${actual ?? "missing"}`);
      }
    }
    for (
      const row of db.prepare(
        `SELECT f.ID AS id, f.FileName AS name, f.PathName AS path,
           (SELECT v.Sha256 FROM versions v WHERE v.ClientID = f.ID
              AND v.FileName = f.FileName AND v.TrashedAt IS NULL
            ORDER BY v.Number DESC LIMIT 1) AS newest
         FROM files f`,
      ).all()
    ) {
      const name = String(row.name);
      if (row.newest === null) {
        problems.push(`files row ${name} has no kept version`);
        continue;
      }
      const path = store.pathOf(row.id as Uint8Array, name);
      const actual = hashFile(path);
      if (actual !== row.newest) {
        problems.push(
          `${name} holds ${actual ?? "nothing"}, not ${row.newest}`,
        );
      }
    }
    const named = db.prepare(
      `SELECT count(*) AS n FROM (SELECT DISTINCT ClientID, FileName FROM versions
         WHERE TrashedAt IS NULL) k WHERE NOT EXISTS (SELECT 1 FROM files f
         WHERE f.ID = k.ClientID AND f.FileName = k.FileName)`,
    ).get()!.n;
    if (Number(named) > 0) problems.push(`${named} names lack a files row`);
  } finally {
    db.close();
  }
  try {
    const left = [...Deno.readDirSync(join(store.root, ".gc"))];
    if (left.length > 0) problems.push(`${left.length} entries left in .gc`);
  } catch {
    // No .gc yet: nothing collected.
  }
  return problems;
}
