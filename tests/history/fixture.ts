/**
 * A fresh database and `received_files` with versions written as the
 * upload path leaves them: a contents row and its object file, a versions
 * row, the files row and the latest-name hard link of the newest.
 */
import { blake3Hex } from "../../server/crypto/blake3.ts";
import { join } from "node:path";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import type { FileVersion } from "../../server/storage/types.ts";

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

/** Opens a store in a new temporary folder with clients ALICE and BOB. */
export function openStore(): Store {
  const dir = Deno.makeTempDirSync({ prefix: "retention-" });
  const db = Database.open(join(dir, "defensive.db"));
  const root = join(dir, "received_files");
  Deno.mkdirSync(root);
  db.clients.create(ALICE, "alice", "2026-01-01T00:00:00.000Z");
  db.clients.create(BOB, "bob", "2026-01-01T00:00:00.000Z");
  const files = new FileStore(root);
  const h = db.handle;
  return {
    dir,
    db,
    files,
    add(client, name, text, at, options = {}) {
      const sha = blake3(text);
      const size = new TextEncoder().encode(text).length;
      const object = files.objects.objectPath(sha);
      Deno.mkdirSync(join(object, ".."), { recursive: true });
      try {
        Deno.writeTextFileSync(object, text, { createNew: true });
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
      h.prepare(
        `INSERT INTO contents (Blake3, Size, StoredSize, CreatedAt)
         VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(sha, size, size, at);
      const number = Number(
        h.prepare(
          "SELECT coalesce(max(Number), 0) + 1 AS n FROM versions WHERE ClientID = ? AND FileName = ?",
        ).get(client, name)!.n,
      );
      const id = Number(
        h.prepare(
          `INSERT INTO versions (ClientID, FileName, Number, Blake3, Size,
             Checksum, StoredAt, Pinned) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(client, name, number, sha, size, 7, at, options.pinned ? 1 : 0)
          .lastInsertRowid,
      );
      const latest = files.pathOf(client, name);
      Deno.mkdirSync(join(latest, ".."), { recursive: true });
      files.objects.linkTo(sha, latest);
      db.files.recordVerified(
        {
          clientId: client,
          fileName: name,
          pathName: latest,
          size,
          checksum: 7,
        },
        at,
      );
      return db.maintenance.version(id)!;
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
