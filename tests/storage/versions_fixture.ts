/** What the tests of `db.versions` share: two clients and a version to add. @module */
import { Database } from "../../server/storage/database.ts";
import type { NewVersion } from "../../server/storage/types.ts";

export const A = new Uint8Array(16).fill(0xa1);
export const B = new Uint8Array(16).fill(0xb2);

/** A fresh database with clients A (alice) and B (bob); disposing deletes it. */
export function openWithClients(prefix: string) {
  const dir = Deno.makeTempDirSync({ prefix });
  const db = Database.open(`${dir}/defensive.db`);
  db.clients.create(A, "alice", "2026-01-01T00:00:00.000Z");
  db.clients.create(B, "bob", "2026-01-01T00:00:00.000Z");
  return {
    db,
    [Symbol.dispose]() {
      db.close();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/** A version of A's doc.txt (100 bytes, content "1"×64), with `over` applied. */
export function newVersion(over: Partial<NewVersion> = {}): NewVersion {
  return {
    clientId: A,
    fileName: "doc.txt",
    size: 100,
    checksum: 7,
    blake3: "1".repeat(64),
    transport: "tcp",
    ...over,
  };
}
