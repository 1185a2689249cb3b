/**
 * Point-in-time zip benchmark: the portal's snapshot zip of one client
 * (server/portal/snapshot_zip.ts: database paging, BLAKE3 check, CRC-32,
 * zip records) against reading the same objects with the same 1 MiB reads,
 * in the same run on the same files; output to a sink that drops it.
 *
 *   deno run -A bench/zip.ts [--size-mib 1024] [--files 8] [--runs 3]
 *
 * Each figure is the best of `--runs` runs.
 * @module
 */
import { createBlake3 } from "../server/crypto/blake3.ts";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { snapshotZip } from "../server/portal/snapshot_zip.ts";
import { Database } from "../server/storage/database.ts";
import { FileStore } from "../server/storage/file_store.ts";
import { readThrough } from "../server/storage/pending_file.ts";
import { writeRandomFile } from "../tests/e2e/backup_server.ts";
import { line } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "size-mib": { type: "string", default: "1024" },
    files: { type: "string", default: "8" },
    runs: { type: "string", default: "3" },
  },
});
const MiB = 2 ** 20;
const SIZE = Number(values["size-mib"]) * MiB;
const FILES = Number(values.files);
const RUNS = Number(values.runs);
const CLIENT = new Uint8Array(16).fill(0x5a);

const dir = await Deno.makeTempDir({ prefix: "cb-bench-zip-" });
const db = Database.open(join(dir, "defensive.db"));
const store = new FileStore(join(dir, "received_files"));
await Deno.mkdir(store.root);
db.clients.create(CLIENT, "bench", new Date().toISOString());
const objects: string[] = [];
for (let i = 0; i < FILES; i++) {
  const path = join(dir, `f${i}`);
  await writeRandomFile(path, Math.floor(SIZE / FILES), i + 1);
  const hash = createBlake3();
  await readThrough(await Deno.open(path), (chunk) => hash.update(chunk));
  const blake3 = hash.digest();
  store.objects.adopt(path, blake3);
  await Deno.remove(path);
  objects.push(blake3);
  db.versions.add({
    clientId: CLIENT,
    fileName: `file-${i}.bin`,
    size: Math.floor(SIZE / FILES),
    checksum: 0,
    blake3,
    transport: "tcp",
  }, new Date().toISOString());
}

const drop = () => new WritableStream<Uint8Array>();

async function readAll(): Promise<void> {
  const buffer = new Uint8Array(MiB);
  for (const blake3 of objects) {
    using file = await store.objects.openObject(blake3);
    while (await file.read(buffer) !== null) { /* read only */ }
  }
}

async function zipAll(): Promise<void> {
  await snapshotZip(
    {
      versions: db.versions,
      openObject: (blake3) => store.objects.openObject(blake3),
    },
    CLIENT,
    new Date(Date.now() + 60_000).toISOString(),
  ).pipeTo(drop());
}

async function best(run: () => Promise<void>): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

try {
  const read = await best(readAll);
  const zip = await best(zipAll);
  const mbps = (ms: number) => `${(SIZE / MiB / (ms / 1000)).toFixed(0)} MiB/s`;
  line(
    `read ${FILES} objects, ${values["size-mib"]} MiB (baseline)`,
    mbps(read),
  );
  line(
    "snapshot zip of the same",
    mbps(zip),
    mbps(read),
    `${(read / zip).toFixed(2)}x`,
  );
} finally {
  db.close();
  await Deno.remove(dir, { recursive: true });
}
