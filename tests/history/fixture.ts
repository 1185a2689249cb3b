/**
 * Versions written as the upload path leaves them (a contents row and its
 * object file, a versions row, the files row and the latest-name hard link
 * of the newest), by themselves or in a fresh database and `received_files`.
 * @module
 */
import { blake3Hex } from "../../server/crypto/blake3.ts";
import { join } from "node:path";
import { waitUntil } from "../e2e/harness.ts";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import type {
  BackupStorage,
  FileVersion,
  NewVersion,
} from "../../server/storage/types.ts";

export const ALICE = new Uint8Array(16).fill(0xa1);
export const BOB = new Uint8Array(16).fill(0xb0);

export interface Store {
  dir: string;
  db: Database;
  files: FileStore;
  /** Stores `text` as the next version of a name, stored at `at`. */
  add(
    client: Uint8Array,
    name: string,
    text: string,
    at: string,
    options?: { pinned?: boolean },
  ): FileVersion;
  close(): void;
}

/** BLAKE3 in hex, the content address of `data`. */
export function blake3(data: string | Uint8Array): string {
  return blake3Hex(data);
}

/**
 * Waits for `<received_files>/.tmp` to empty: a deduplicated upload's own
 * bytes are freed just after the client's answer, not before it.
 */
export async function tmpEmptied(root: string): Promise<void> {
  const tmp = join(root, ".tmp");
  await waitUntil(
    () => [...Deno.readDirSync(tmp)].length === 0,
    `${tmp} to empty`,
  );
}

/**
 * Stores `content` as the next version of `fileName`, stored at `at`, as the
 * upload commit does: its object (unless the content is there already), the
 * latest copy linked to it, the contents, versions and files rows.
 */
export function storeVersion(
  target: { db: BackupStorage; files: FileStore },
  clientId: Uint8Array,
  fileName: string,
  content: string | Uint8Array,
  at: string,
  options: Partial<Pick<NewVersion, "checksum" | "transport" | "dialect">> = {},
): FileVersion {
  const bytes = typeof content === "string"
    ? new TextEncoder().encode(content)
    : content;
  const hash = blake3Hex(bytes);
  const { objects } = target.files;
  if (!objects.has(hash)) {
    Deno.mkdirSync(objects.root, { recursive: true });
    const temp = join(objects.root, `test-${crypto.randomUUID()}`);
    Deno.writeFileSync(temp, bytes);
    objects.adopt(temp, hash);
    Deno.removeSync(temp);
  }
  const latest = target.files.pathOf(clientId, fileName);
  Deno.mkdirSync(join(latest, ".."), { recursive: true });
  objects.linkTo(hash, latest);
  return target.db.versions.add({
    clientId,
    fileName,
    size: bytes.length,
    checksum: options.checksum ?? 0,
    blake3: hash,
    transport: options.transport ?? "tcp",
    dialect: options.dialect,
    pathName: latest,
  }, at);
}

/** Opens a store in a new temporary folder with clients ALICE and BOB. */
export function openStore(): Store {
  const dir = Deno.makeTempDirSync({ prefix: "retention-" });
  const db = Database.open(join(dir, "defensive.db"));
  const root = join(dir, "received_files");
  Deno.mkdirSync(root);
  db.clients.create(ALICE, "alice", "2026-01-01T00:00:00.000Z");
  db.clients.create(BOB, "bob", "2026-01-01T00:00:00.000Z");
  const files = new FileStore(root);
  return {
    dir,
    db,
    files,
    add(client, name, text, at, options = {}) {
      const version = storeVersion({ db, files }, client, name, text, at, {
        checksum: 7,
      });
      if (!options.pinned) return version;
      db.versions.setPinned(version.id, true);
      return { ...version, pinned: true };
    },
    close() {
      db.close();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/** One day after 2026-11-01 per n, at noon UTC. */
export function day(n: number): string {
  return new Date(Date.UTC(2026, 10, 1, 12) + n * 86400_000).toISOString();
}
