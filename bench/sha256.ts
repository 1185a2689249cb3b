/**
 * The cost of the content hash on an upload's receive path, in process:
 * the session's per-chunk work (AES-256-CBC decrypt, cksum, write to a
 * temporary file) without SHA-256, with node:crypto SHA-256 on the same
 * thread, and with OpenSSL SHA-256 on the native thread pool
 * (server/crypto/sha256.ts). Variants alternate round by round, so a
 * machine busy with other work slows them alike; each figure is the best
 * of `--runs` rounds. Also the CPU time the process spent per GiB (every
 * thread, the native pool's included), which depends less on how busy the
 * machine is than wall-clock speed does.
 *
 *   deno run -A bench/sha256.ts [--size-mib 512] [--runs 5]
 *
 * Prints one line per figure: name, value, baseline, ratio.
 * @module
 */
import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { createCipher, createDecipher } from "../server/crypto/aes_cbc.ts";
import { Cksum } from "../server/crypto/cksum.ts";
import { createSha256, type Sha256Backend } from "../server/crypto/sha256.ts";
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
/** About what one socket read hands the session. */
const CHUNK = 64 * 1024;

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

const dir = await Deno.makeTempDir({ prefix: "cb-bench-sha-" });
const store = new FileStore(dir);
const client = new Uint8Array(16);

/** MB/s and CPU ms per GiB of one upload's receive path with `hash` (or none). */
async function receive(
  hash: Sha256Backend | "none",
): Promise<{ mbs: number; cpuMsPerGiB: number }> {
  const pending = await store.begin(client, "bench.bin");
  const decipher = createDecipher(key);
  const cksum = new Cksum();
  const sha = hash === "none" ? undefined : createSha256(hash);
  const cpu = cpuUsage();
  const started = performance.now();
  for (let at = 0; at < encrypted.length; at += CHUNK) {
    const data = decipher.update(encrypted.subarray(at, at + CHUNK));
    cksum.update(data);
    await sha?.update(data);
    await pending.write(data);
  }
  const last = decipher.final();
  cksum.update(last);
  await sha?.update(last);
  await pending.write(last);
  await sha?.digest();
  await pending.prepare();
  const seconds = (performance.now() - started) / 1000;
  const used = cpuUsage(cpu);
  const cpuMsPerGiB = (used.user + used.system) / 1000 / (SIZE / 2 ** 30);
  decipher.close();
  await pending.abort();
  await Deno.remove(pending.tempPath).catch(() => {});
  return { mbs: SIZE / 1e6 / seconds, cpuMsPerGiB };
}

const variants = ["none", "node", "libcrypto"] as const;
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
for (const variant of ["node", "libcrypto"] as const) {
  line(
    `receive path + SHA-256 ${variant} (MB/s)`,
    best[variant].toFixed(0),
    best.none.toFixed(0),
    (best[variant] / best.none).toFixed(3),
  );
}
line("  receive path without SHA-256 (MB/s)", best.none.toFixed(0));
for (const variant of ["node", "libcrypto"] as const) {
  line(
    `CPU ms per GiB, + SHA-256 ${variant}`,
    leastCpu[variant].toFixed(0),
    leastCpu.none.toFixed(0),
    (leastCpu[variant] / leastCpu.none).toFixed(3),
  );
}
