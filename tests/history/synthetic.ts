/**
 * A synthetic backup history written straight into a fresh data directory,
 * as the server would have it after many uploads: clients, contents rows
 * (with their object files when asked), versions one day apart, and the
 * files row and latest-name link of each name's newest version. For the
 * retention e2e tests and bench/retention.ts.
 */
import { join } from "node:path";
import { cksum } from "../../server/crypto/cksum.ts";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import { blake3 } from "./fixture.ts";

/** The shape of the history. */
export interface SyntheticHistory {
  clients: number;
  namesPerClient: number;
  versionsPerName: number;
  /** Distinct contents; version i of the store gets content i mod this (dedup across names). */
  contents: number;
  /** Write each content's object file (and each name's latest-name link). */
  objects: boolean;
  /** Time of each name's first version; the next ones follow a day apart. */
  start?: Date;
}

/** Client `i`'s 16-byte id. */
export function syntheticClientId(i: number): Uint8Array {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(12, i + 1);
  id[0] = 0x5e;
  return id;
}

/** Fills `dataDir` (made by the caller, empty) with the history; returns the number of versions. */
export function writeSyntheticHistory(
  dataDir: string,
  shape: SyntheticHistory,
): number {
  const db = Database.open(join(dataDir, "defensive.db"));
  const store = new FileStore(join(dataDir, "received_files"));
  Deno.mkdirSync(store.root, { recursive: true, mode: 0o700 });
  const start = (shape.start ?? new Date(Date.UTC(2026, 0, 1, 12))).getTime();
  const h = db.handle;
  const shas: string[] = [];
  const sums: number[] = [];
  try {
    const addContent = h.prepare(
      "INSERT INTO contents (Blake3, Size, StoredSize, CreatedAt) VALUES (?, ?, ?, ?)",
    );
    h.exec("BEGIN");
    for (let c = 0; c < shape.contents; c++) {
      const text = `content ${c}`;
      const sha = blake3(text);
      shas.push(sha);
      sums.push(cksum(new TextEncoder().encode(text)));
      addContent.run(
        sha,
        text.length,
        text.length,
        new Date(start).toISOString(),
      );
      if (shape.objects) {
        const path = store.objects.objectPath(sha);
        Deno.mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
        Deno.writeTextFileSync(path, text);
      }
    }
    h.exec("COMMIT");
    const addClient = h.prepare(
      "INSERT INTO clients (ID, Name, CreatedAt) VALUES (?, ?, ?)",
    );
    const addVersion = h.prepare(
      `INSERT INTO versions (ClientID, FileName, Number, Blake3, Size, Checksum,
         StoredAt, Transport) VALUES (?, ?, ?, ?, ?, ?, ?, 'tcp')`,
    );
    const addFile = h.prepare(
      `INSERT INTO files (ID, FileName, PathName, Verified, Size, Checksum, StoredAt)
       VALUES (?, ?, ?, 1, ?, ?, ?)`,
    );
    let serial = 0;
    for (let c = 0; c < shape.clients; c++) {
      const clientId = syntheticClientId(c);
      h.exec("BEGIN");
      addClient.run(clientId, `synthetic-${c}`, new Date(start).toISOString());
      for (let n = 0; n < shape.namesPerClient; n++) {
        const name = `file-${n}.dat`;
        let sha = "";
        let at = "";
        let size = 0;
        let sum = 0;
        for (let v = 1; v <= shape.versionsPerName; v++) {
          const content = serial++ % shape.contents;
          sha = shas[content];
          at = new Date(start + (v - 1) * 86400_000).toISOString();
          size = `content ${content}`.length;
          sum = sums[content];
          addVersion.run(clientId, name, v, sha, size, sum, at);
        }
        const path = store.pathOf(clientId, name);
        if (shape.objects) {
          Deno.mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
          store.objects.linkTo(sha, path);
        }
        addFile.run(clientId, name, path, size, sum, at);
      }
      h.exec("COMMIT");
    }
    return serial;
  } finally {
    db.close();
  }
}
