/**
 * Shared steps of the hardening tests (tests/e2e/fuzz_test.ts and its
 * siblings) and the soak scripts: the real command-line client, direct
 * looks into defensive.db and received_files, and figures for the report.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { runBackup } from "../../client/backup.ts";
import { readMeInfo } from "../../client/me_info.ts";
import { toHex } from "../../shared/encoding.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { clientDir, collectOutput } from "../client/helpers.ts";
import { Rng } from "./rng.ts";

/** Prints one measured figure; a test's figures are part of its report. */
export function note(line: string): void {
  // deno-lint-ignore no-console -- figures the issue asks to be reported
  console.log(`  [figure] ${line}`);
}

/** Seeded bytes, so a failing run can be replayed. */
export function seededBytes(seed: number, size: number): Uint8Array {
  return new Rng(seed).bytes(size);
}

/** Rows of a read-only query on the server's database. */
export function readDb<T>(
  dataDir: string,
  sql: string,
  ...params: (string | number | Uint8Array)[]
): T[] {
  const db = new DatabaseSync(join(dataDir, "defensive.db"), {
    readOnly: true,
  });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/**
 * Backs up `data` as `fileName` with the real command-line client (in
 * process, as `cyberbackup backup` runs it) and checks that the server
 * stored it verified; returns the client's id.
 */
export async function backUpWithClient(
  server: { port: number; dataDir: string },
  options: { user: string; fileName: string; data: Uint8Array },
): Promise<string> {
  const dir = await clientDir(server.port, {
    name: options.user,
    files: { [options.fileName]: options.data },
  });
  try {
    const out = collectOutput();
    const status = await runBackup({ dir, out, retryDelayMs: 50 });
    assert.equal(status, 0, [...out.lines, ...out.errors].join("\n"));
    const me = await readMeInfo(join(dir, "me.info"));
    assert.ok(me, "the client saved its identity");
    const id = toHex(me.clientId);
    const stored = await Deno.readFile(
      join(server.dataDir, "received_files", id, options.fileName),
    );
    assert.equal(cksum(stored), cksum(options.data));
    const [row] = readDb<{ Verified: number; Checksum: number }>(
      server.dataDir,
      "SELECT Verified, Checksum FROM files WHERE ID = ? AND FileName = ?",
      me.clientId,
      options.fileName,
    );
    assert.equal(row?.Verified, 1);
    assert.equal(row?.Checksum, cksum(options.data));
    return id;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every path under `root` (relative, sorted); symlinks listed, not followed. */
export async function tree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      out.push(entry.isSymlink ? `${path} -> symlink` : path);
      if (entry.isDirectory) await walk(join(dir, entry.name), path);
    }
  };
  await walk(root, "");
  return out.sort();
}

/** Lines the server logged at error or fatal level that are not expected ones. */
export function unexpectedErrors(output: string, expected: RegExp[]): string[] {
  return output.split("\n")
    .filter((line) => /\[(ERR|FTL)\]/.test(line))
    .filter((line) => !expected.some((re) => re.test(line)));
}

/** Waits until `check` holds, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
