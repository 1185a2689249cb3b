/**
 * The cost of the content hash on an upload's receive path, in process:
 * the session's per-chunk work (AES-256-CBC decrypt, cksum, write to a
 * temporary file) without a hash, with the content address as the server
 * computes it (BLAKE3, server/crypto/blake3.ts), and with SHA-256 (OpenSSL through node:crypto, SHA
 * extensions where the CPU has them), the hash it replaced. Variants
 * alternate round by round, so a machine busy with other work slows them
 * alike; each figure is the best of `--runs` rounds. Also the CPU time the
 * process spent per GiB (every thread), which depends less on how busy the
 * machine is than wall-clock speed does.
 *
 *   deno run -A bench/blake3.ts [--size-mib 512] [--runs 5]
 *
 * Prints one line per figure: name, value, baseline, ratio.
 * @module
 */
import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { createCipher, createDecipher } from "../server/crypto/aes_cbc.ts";
import { Cksum } from "../server/crypto/cksum.ts";
import { createHash } from "node:crypto";
import { createBlake3 } from "../server/crypto/blake3.ts";
import { FileStore } from "../server/storage/file_store.ts";
import { line } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "size-mib": { type: "string", default: "512" },
    runs: { type: "string", default: "5" },
  },
});
const SIZE = Number(values["size-mib"]) * 2 ** 20;
const RUNS = Number(values.runs);
/** What one socket read hands the session at least (server/tcp/connection.ts). */
const CHUNK = 256 * 1024;

const key = crypto.getRandomValues(new Uint8Array(32));
const plain = new Uint8Array(SIZE);
for (let at = 0; at < SIZE; at += 65536) {
  crypto.getRandomValues(plain.subarray(at, at + 65536));
}
const cipher = createCipher(key);
const encrypted = new Uint8Array(SIZE + 16);
encrypted.set(cipher.update(plain), 0);
encrypted.set(cipher.final(), SIZE);
cipher.close();

const dir = await Deno.makeTempDir({ prefix: "cb-bench-hash-" });
const store = new FileStore(dir);
const client = new Uint8Array(16);

const variants = ["none", "blake3", "sha256"] as const;
type Variant = typeof variants[number];

/** A streaming hash of `variant`, or undefined for none. */
function hasher(
  variant: Variant,
): { update(bytes: Uint8Array): unknown; digest(): unknown } | undefined {
  if (variant === "none") return undefined;
  if (variant === "sha256") {
    const sha = createHash("sha256");
    return { update: (bytes) => sha.update(bytes), digest: () => sha.digest() };
  }
  return createBlake3();
}

/** MB/s and CPU ms per GiB of one upload's receive path with `variant`'s hash. */
async function receive(
  variant: Variant,
): Promise<{ mbs: number; cpuMsPerGiB: number }> {
  const pending = await store.begin(client, "bench.bin");
  const decipher = createDecipher(key);
  const cksum = new Cksum();
  const hash = hasher(variant);
  const cpu = cpuUsage();
  const started = performance.now();
  for (let at = 0; at < encrypted.length; at += CHUNK) {
    const data = decipher.update(encrypted.subarray(at, at + CHUNK));
    cksum.update(data);
    hash?.update(data);
    await pending.write(data);
  }
  const last = decipher.final();
  cksum.update(last);
  hash?.update(last);
  await pending.write(last);
  hash?.digest();
  await pending.prepare();
  const seconds = (performance.now() - started) / 1000;
  const used = cpuUsage(cpu);
  const cpuMsPerGiB = (used.user + used.system) / 1000 / (SIZE / 2 ** 30);
  decipher.close();
  await pending.abort();
  await Deno.remove(pending.tempPath).catch(() => {});
  return { mbs: SIZE / 1e6 / seconds, cpuMsPerGiB };
}

const best = Object.fromEntries(variants.map((v) => [v, 0]));
const leastCpu = Object.fromEntries(variants.map((v) => [v, Infinity]));
try {
  for (let round = 0; round < RUNS; round++) {
    for (const variant of variants) {
      const { mbs, cpuMsPerGiB } = await receive(variant);
      best[variant] = Math.max(best[variant], mbs);
      leastCpu[variant] = Math.min(leastCpu[variant], cpuMsPerGiB);
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
line("figure", "value", "baseline", "ratio");
const hashed = variants.filter((v) => v !== "none");
for (const variant of hashed) {
  line(
    `receive path + ${variant} (MB/s)`,
    best[variant].toFixed(0),
    best.none.toFixed(0),
    (best[variant] / best.none).toFixed(3),
  );
}
line("  receive path without a hash (MB/s)", best.none.toFixed(0));
for (const variant of hashed) {
  line(
    `CPU ms per GiB, + ${variant}`,
    leastCpu[variant].toFixed(0),
    leastCpu.none.toFixed(0),
    (leastCpu[variant] / leastCpu.none).toFixed(3),
  );
}
