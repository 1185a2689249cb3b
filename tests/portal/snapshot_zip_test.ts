import assert from "node:assert/strict";
import { join } from "node:path";
import {
  compareCodePoints,
  MISSING_LIST,
  type SnapshotReport,
  type SnapshotSource,
  snapshotZip,
  versionsAt,
} from "../../server/portal/snapshot_zip.ts";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import type { FileVersion } from "../../server/storage/types.ts";
import { storeVersion } from "../history/fixture.ts";
import { inspectZip, unzipTest } from "./zip_check.ts";

const A = new Uint8Array(16).fill(0xa1);
const B = new Uint8Array(16).fill(0xb2);
const UTF8_FLAG = 0x800;
const STORED = 0;

function setup() {
  const dir = Deno.makeTempDirSync({ prefix: "cyberbackup-zip-" });
  const db = Database.open(join(dir, "defensive.db"));
  const store = new FileStore(join(dir, "received_files"));
  Deno.mkdirSync(store.root);
  db.clients.create(A, "alice", "2026-01-01T00:00:00.000Z");
  db.clients.create(B, "bob", "2026-01-01T00:00:00.000Z");
  const source: SnapshotSource = {
    versions: db.versions,
    openObject: (blake3) => store.objects.openObject(blake3),
  };
  return {
    dir,
    db,
    store,
    source,
    [Symbol.dispose]() {
      db.close();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}
type Setup = ReturnType<typeof setup>;

function keep(
  t: Setup,
  name: string,
  content: string | Uint8Array,
  at: string,
  client = A,
): FileVersion {
  return storeVersion({ db: t.db, files: t.store }, client, name, content, at);
}

async function zipTo(
  t: Setup,
  at: string,
  report?: SnapshotReport,
): Promise<string> {
  const path = join(t.dir, `${crypto.randomUUID()}.zip`);
  using file = await Deno.open(path, { write: true, createNew: true });
  await snapshotZip(t.source, A, at, report).pipeTo(file.writable);
  return path;
}

function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string, prefix: string) => {
    for (const entry of Deno.readDirSync(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) walk(path, `${prefix}${entry.name}/`);
      else files[`${prefix}${entry.name}`] = Deno.readTextFileSync(path);
    }
  };
  walk(dir, "");
  return files;
}

Deno.test("the zip holds the newest kept version of each name stored at or before the time, stored, UTF-8 named, CRCs right", async () => {
  using t = setup();
  keep(t, "notes.txt", "notes v1", "2026-02-01T10:00:00.000Z");
  keep(t, "notes.txt", "notes v2", "2026-02-03T10:00:00.000Z");
  keep(t, "notes.txt", "notes v3", "2026-02-05T10:00:00.000Z");
  keep(t, "résumé ✓.txt", "cv", "2026-02-02T10:00:00.000Z");
  keep(t, "later.txt", "not yet", "2026-02-04T00:00:00.000Z");
  keep(t, "bob.txt", "another client's", "2026-02-01T00:00:00.000Z", B);
  const report: SnapshotReport = { files: 0, bytes: 0, missing: [] };
  const path = await zipTo(t, "2026-02-03T10:00:00.000Z", report);

  const out = join(t.dir, "out");
  const entries = await inspectZip(path, { test: true, extractTo: out });
  assert.deepEqual(entries.map((e) => e.name), ["notes.txt", "résumé ✓.txt"]);
  for (const entry of entries) {
    assert.equal(entry.method, STORED);
    assert.equal(entry.flags & UTF8_FLAG, UTF8_FLAG, entry.name);
  }
  assert.deepEqual(readTree(out), {
    "notes.txt": "notes v2",
    "résumé ✓.txt": "cv",
  });
  assert.match(await unzipTest(path), /No errors detected/);
  assert.deepEqual(report, { files: 2, bytes: 10, missing: [] });
});

Deno.test("a time before every version gives an empty zip that unzips", async () => {
  using t = setup();
  keep(t, "a.txt", "a", "2026-02-01T10:00:00.000Z");
  const path = await zipTo(t, "2026-01-01T00:00:00.000Z");
  assert.deepEqual(await inspectZip(path, { test: true }), []);
});

Deno.test("versionsAt() pages through every name once, in SQLite's order, however many pages", async () => {
  using t = setup();
  const names = Array.from({ length: 450 }, (_, i) => `f${i}.txt`);
  // One content for all: the listing, not the store, is under test.
  for (const name of names) keep(t, name, "x", "2026-02-01T00:00:00.000Z");
  const seen: string[] = [];
  for await (const v of versionsAt(t.db.versions, A, "2026-03-01T00:00:00Z")) {
    seen.push(v.fileName);
  }
  assert.deepEqual(seen, [...names].sort(compareCodePoints));
});

Deno.test("versionsAt() never lists a name twice when names are added while it reads", async () => {
  using t = setup();
  for (let i = 0; i < 210; i++) {
    keep(t, `m${String(i).padStart(3, "0")}`, "x", "2026-02-01T00:00:00.000Z");
  }
  const seen: string[] = [];
  for await (const v of versionsAt(t.db.versions, A, "2026-03-01T00:00:00Z")) {
    // Names sorting first arrive after the first page: page 2 starts earlier.
    if (seen.length === 0) {
      for (let i = 0; i < 5; i++) {
        keep(t, `a${i}`, "x", "2026-02-01T00:00:00.000Z");
      }
    }
    seen.push(v.fileName);
  }
  assert.equal(new Set(seen).size, seen.length);
  assert.equal(seen.length, 210);
});

Deno.test("compareCodePoints() orders as UTF-8 bytes do, not as UTF-16 units", () => {
  // U+FF21 is one UTF-16 unit above the surrogates of U+1F600, but below
  // it as a code point (and in UTF-8).
  assert.equal(compareCodePoints("\uff21", "😀"), -1);
  assert.equal("\uff21" < "😀", false);
  assert.equal(compareCodePoints("ab", "abc"), -1);
  assert.equal(compareCodePoints("b", "abc"), 1);
  assert.equal(compareCodePoints("é", "é"), 0);
});

Deno.test("a version whose content is gone is left out and named in .cyberbackup/missing.txt", async () => {
  using t = setup();
  keep(t, "kept.txt", "here", "2026-02-01T00:00:00.000Z");
  const lost = keep(t, "lost.txt", "gone", "2026-02-01T00:00:00.000Z");
  Deno.removeSync(t.store.objects.objectPath(lost.blake3));
  const report: SnapshotReport = { files: 0, bytes: 0, missing: [] };
  const path = await zipTo(t, "2026-03-01T00:00:00.000Z", report);
  const out = join(t.dir, "out");
  await inspectZip(path, { test: true, extractTo: out });
  const files = readTree(out);
  assert.equal(files["kept.txt"], "here");
  assert.equal(files["lost.txt"], undefined);
  assert.match(files[MISSING_LIST], /lost\.txt: stored content is missing/);
  assert.deepEqual(report.missing, ["lost.txt: stored content is missing"]);
});

Deno.test("damaged stored content breaks the zip instead of arriving with a fresh CRC", async () => {
  using t = setup();
  const v = keep(t, "doc.txt", "original", "2026-02-01T00:00:00.000Z");
  Deno.writeTextFileSync(t.store.objects.objectPath(v.blake3), "0riginal");
  await assert.rejects(
    zipTo(t, "2026-03-01T00:00:00.000Z"),
    /doc\.txt version 1 is damaged/,
  );
});

function allZero(chunk: Uint8Array): boolean {
  const aligned = chunk.length % 8 === 0 && chunk.byteOffset % 8 === 0;
  if (!aligned) return false;
  const words = new Uint32Array(
    chunk.buffer,
    chunk.byteOffset,
    chunk.length / 4,
  );
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}

/** A sink that seeks over all-zero chunks, so a zip of a big sparse file stays sparse. */
async function sparseSink(path: string): Promise<WritableStream<Uint8Array>> {
  const file = await Deno.open(path, { write: true, createNew: true });
  let length = 0;
  return new WritableStream({
    async write(chunk) {
      if (allZero(chunk)) {
        await file.seek(chunk.length, Deno.SeekMode.Current);
      } else {
        let done = 0;
        while (done < chunk.length) {
          done += await file.write(chunk.subarray(done));
        }
      }
      length += chunk.length;
    },
    async close() {
      await file.truncate(length);
      file.close();
    },
  });
}

Deno.test({
  name:
    "a file over 4 GiB and the entry after it get ZIP64 records that Python and unzip read",
  // Streams 4 GiB through BLAKE3, CRC-32 and unzip -t: 20-40 s here.
  sanitizeOps: false,
  async fn() {
    using t = setup();
    const size = 4 * 1024 ** 3 + 1024 ** 2;
    const big = join(t.dir, "big");
    using file = await Deno.open(big, { write: true, createNew: true });
    await file.truncate(size);
    // `truncate -s 4295016448 f && b3sum f` (Debian package b3sum).
    const blake3 =
      "72f0d67b8d998795377c564d56d7179c99a5e6acc2ed017e4d25329c37924df4";
    t.store.objects.adopt(big, blake3);
    Deno.removeSync(big);
    t.db.versions.add({
      clientId: A,
      fileName: "big.img",
      size,
      checksum: 0,
      blake3,
      transport: "tcp",
    }, "2026-02-01T00:00:00.000Z");
    keep(t, "small.txt", "after the big one", "2026-02-01T00:00:00.000Z");

    const path = join(t.dir, "big.zip");
    await snapshotZip(t.source, A, "2026-03-01T00:00:00.000Z")
      .pipeTo(await sparseSink(path));
    const entries = await inspectZip(path);
    assert.deepEqual(entries.map((e) => [e.name, e.size]), [
      ["big.img", size],
      ["small.txt", 17],
    ]);
    assert.ok(
      entries[1].offset > 2 ** 32,
      "the second entry starts past 4 GiB",
    );
    assert.match(await unzipTest(path), /No errors detected/);
  },
});
