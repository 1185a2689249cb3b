/**
 * Would compressing older versions pay? zstd (node:zlib) at levels 1 and 3
 * against gzip level 1 on the same data in the same run: the repository's
 * own sources (text, like many backed-up documents), a SQLite database
 * file, and random bytes (like media and archives, already compressed).
 * Measurement only: versions are stored uncompressed today.
 *
 *   deno run -A bench/compression.ts [--runs 3]
 *
 * Prints one line per figure: name, value, baseline, ratio.
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  constants,
  gzipSync,
  zstdCompressSync,
  zstdDecompressSync,
} from "node:zlib";
import { line } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "3" } },
});
const RUNS = Number(values.runs);
const ROOT = new URL("..", import.meta.url).pathname;

/** Every .ts and .md file under the repository, concatenated. */
function sources(dir = ROOT, parts: Uint8Array[] = []): Uint8Array[] {
  for (const entry of Deno.readDirSync(dir)) {
    if (["node_modules", ".git", "static"].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory) sources(path, parts);
    else if (/\.(ts|tsx|md)$/.test(entry.name)) {
      parts.push(Deno.readFileSync(path));
    }
  }
  return parts;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A database file with 20,000 rows of names, times and numbers. */
async function database(): Promise<Uint8Array> {
  const { DatabaseSync } = await import("node:sqlite");
  const dir = await Deno.makeTempDir({ prefix: "cb-bench-zstd-" });
  const db = new DatabaseSync(join(dir, "x.db"));
  db.exec(
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, at TEXT, n INTEGER)",
  );
  const insert = db.prepare("INSERT INTO t (name, at, n) VALUES (?, ?, ?)");
  db.exec("BEGIN");
  for (let i = 0; i < 20_000; i++) {
    insert.run(
      `client-${i % 997}/file-${i}.txt`,
      new Date(i * 6e4).toISOString(),
      i * 7919,
    );
  }
  db.exec("COMMIT");
  db.close();
  const bytes = Deno.readFileSync(join(dir, "x.db"));
  await Deno.remove(dir, { recursive: true });
  return bytes;
}

function random(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, at + 65536));
  }
  return bytes;
}

/** Best MB/s of `fn` over `data` and the size it produced. */
function measure(data: Uint8Array, fn: (d: Uint8Array) => Uint8Array) {
  let best = 0;
  let size = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    size = fn(data).length;
    best = Math.max(
      best,
      data.length / 1e6 / ((performance.now() - started) / 1000),
    );
  }
  return { mbs: best, size };
}

const zstd = (level: number) => (d: Uint8Array) =>
  zstdCompressSync(d, {
    params: { [constants.ZSTD_c_compressionLevel]: level },
  });
const samples: [string, Uint8Array][] = [
  ["sources", concat(sources())],
  ["database", await database()],
  ["random", random(32 * 2 ** 20)],
];
line("figure", "value", "baseline", "ratio");
for (const [name, data] of samples) {
  const gzip = measure(data, (d) => gzipSync(d, { level: 1 }));
  line(
    `${name}: ${(data.length / 2 ** 20).toFixed(1)} MiB, gzip -1 size / MB/s`,
    `${(gzip.size / data.length).toFixed(3)}`,
    gzip.mbs.toFixed(0),
  );
  for (const level of [1, 3]) {
    const z = measure(data, zstd(level));
    line(
      `  zstd -${level}: size vs original`,
      (z.size / data.length).toFixed(3),
      "1.000",
    );
    line(
      `  zstd -${level}: MB/s vs gzip -1`,
      z.mbs.toFixed(0),
      gzip.mbs.toFixed(0),
      (z.mbs / gzip.mbs).toFixed(2),
    );
  }
  const packed = zstd(1)(data);
  const back = measure(packed, (d) => zstdDecompressSync(d));
  line(
    "  zstd -1 decompress (MB/s of output)",
    (back.mbs * data.length / packed.length).toFixed(0),
  );
}
