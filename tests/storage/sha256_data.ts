/**
 * A data directory as the main before BLAKE3 left it (schema 11): contents
 * and versions addressed by SHA-256, each object at
 * `received_files/.objects/<2 hex>/<sha256>`, the newest version of each
 * name recorded in `files` with its latest-name file a hard link to its object.
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { toHex } from "../../shared/encoding.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import { MIGRATIONS } from "../../server/storage/schema.ts";
import { ALICE } from "../history/fixture.ts";

/** One upload the old main recorded, in the order given. */
export interface OldUpload {
  client: Uint8Array;
  name: string;
  text: string;
  at: string;
}

/**
 * Alice's uploads of an old data directory: two versions of a.txt, the
 * second sharing its content with b.txt.
 */
export const ALICE_UPLOADS: readonly OldUpload[] = [
  { client: ALICE, name: "a.txt", text: "one", at: "2026-01-01T00:00:00.000Z" },
  {
    client: ALICE,
    name: "a.txt",
    text: "both",
    at: "2026-01-02T00:00:00.000Z",
  },
  {
    client: ALICE,
    name: "b.txt",
    text: "both",
    at: "2026-01-03T00:00:00.000Z",
  },
];

/** SHA-256 in hex: the content address before schema 12. */
export function sha256(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The name the clients row of `client` gets. */
export function clientName(client: Uint8Array): string {
  return `client-${toHex(client).slice(0, 4)}`;
}

/** Writes `defensive.db` at schema 11 and `received_files` in `dataDir`. */
export function writeSha256DataDir(
  dataDir: string,
  uploads: readonly OldUpload[],
) {
  const db = new DatabaseSync(join(dataDir, "defensive.db"));
  const store = new FileStore(join(dataDir, "received_files"));
  try {
    for (const migration of MIGRATIONS.slice(0, 11)) db.exec(migration);
    db.exec("PRAGMA user_version = 11");
    for (const upload of uploads) {
      const bytes = new TextEncoder().encode(upload.text);
      const address = sha256(bytes);
      db.prepare(
        "INSERT OR IGNORE INTO clients (ID, Name, CreatedAt) VALUES (?, ?, ?)",
      ).run(upload.client, clientName(upload.client), upload.at);
      // Any 64 hex is a valid object name: SHA-256 ones too.
      const objectPath = store.objects.objectPath(address);
      Deno.mkdirSync(dirname(objectPath), { recursive: true, mode: 0o700 });
      try {
        Deno.writeFileSync(objectPath, bytes, { createNew: true, mode: 0o600 });
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
      db.prepare(
        `INSERT OR IGNORE INTO contents (Sha256, Size, StoredSize, CreatedAt)
         VALUES (?, ?, ?, ?)`,
      ).run(address, bytes.length, bytes.length, upload.at);
      db.prepare(
        `INSERT INTO versions (ClientID, FileName, Number, Sha256, Size,
           Checksum, StoredAt)
         SELECT ?, ?, coalesce(max(Number), 0) + 1, ?, ?, ?, ? FROM versions
         WHERE ClientID = ? AND FileName = ?`,
      ).run(
        upload.client,
        upload.name,
        address,
        bytes.length,
        cksum(bytes),
        upload.at,
        upload.client,
        upload.name,
      );
      const latest = store.pathOf(upload.client, upload.name);
      Deno.mkdirSync(dirname(latest), { recursive: true, mode: 0o700 });
      try {
        Deno.removeSync(latest);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      Deno.linkSync(objectPath, latest);
      db.prepare(
        `INSERT OR REPLACE INTO files (ID, FileName, PathName, Verified, Size,
           Checksum, StoredAt) VALUES (?, ?, ?, 1, ?, ?, ?)`,
      ).run(
        upload.client,
        upload.name,
        latest,
        bytes.length,
        cksum(bytes),
        upload.at,
      );
    }
  } finally {
    db.close();
  }
}
