/**
 * Crypto-layer benchmark: our cksum (ISA-L, WebAssembly and TypeScript
 * backends, each where it loads) against `/usr/bin/cksum`, and AES-256-CBC decryption (libcrypto
 * FFI, node:crypto) against `openssl enc -d -aes-256-cbc` and against
 * libcrypto's own speed (`openssl speed -evp aes-256-cbc -decrypt`), on the
 * same random data in the same run.
 * In-process figures stream 1 MiB chunks, as the server's upload path does;
 * native baselines read a temp file (in the page cache) and include process
 * start-up. Each figure is the best of a few runs.
 *
 *   deno run -A bench/crypto.ts [--size-mib 256] [--runs 3]
 *
 * Prints one line per figure: name, value, baseline, ratio.
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  type AesBackend,
  aesBackend,
  createCipher,
  createDecipher,
  encrypt,
} from "../server/crypto/aes_cbc.ts";
import { Cksum, cksumBackend } from "../server/crypto/cksum.ts";
import { finish, updateJs } from "../server/crypto/crc32.ts";
import { createIsalUpdate } from "../server/crypto/crc32_isal.ts";
import { createWasmUpdate } from "../server/crypto/crc32_wasm.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "size-mib": { type: "string", default: "256" },
    runs: { type: "string", default: "3" },
  },
});
const MiB = 1024 * 1024;
const SIZE = Number(values["size-mib"]) * MiB;
const RUNS = Number(values.runs);
const CHUNK = MiB;
const KEY = crypto.getRandomValues(new Uint8Array(32));

function line(name: string, value: string, baseline = "", ratio = ""): void {
  // deno-lint-ignore no-console -- a benchmark's output is its report
  console.log(
    [
      name.padEnd(34),
      value.padStart(14),
      baseline.padStart(22),
      ratio.padStart(8),
    ].join(" "),
  );
}

function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

function fmt(rate: number): string {
  return `${rate.toFixed(0)} MB/s`;
}

/** Best throughput of `runs` calls of `work` over `bytes`. */
async function best(
  bytes: number,
  work: () => unknown,
  runs = RUNS,
): Promise<number> {
  let fastest = Infinity;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await work();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return mbps(bytes, fastest);
}

/** xorshift32 bytes: fast, and incompressible enough for these ciphers. */
function randomData(size: number): Uint8Array<ArrayBuffer> {
  const words = new Uint32Array(size / 4);
  let x = crypto.getRandomValues(new Uint32Array(1))[0] | 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  return new Uint8Array(words.buffer);
}

async function run(cmd: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`${cmd} failed: ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout);
}

/**
 * libcrypto's own AES-256-CBC decryption speed: `openssl speed` over 1 MiB
 * blocks (the chunk size streamed here), in wall-clock time (`-elapsed`)
 * like every other figure of this file; the best of RUNS runs of 2 s.
 */
async function opensslSpeed(): Promise<number> {
  let fastest = 0;
  for (let i = 0; i < RUNS; i++) {
    const text = await run("openssl", [
      "speed",
      "-elapsed",
      "-evp",
      "aes-256-cbc",
      "-decrypt",
      "-bytes",
      String(CHUNK),
      "-seconds",
      "2",
    ]);
    // The last line: "AES-256-CBC    9026639.84k" (thousands of bytes per second).
    const kilobytes = /^AES-256-CBC\s+([\d.]+)k\s*$/im.exec(text)?.[1];
    if (!kilobytes) throw new Error(`Cannot parse openssl speed:\n${text}`);
    fastest = Math.max(fastest, Number(kilobytes) / 1000);
  }
  return fastest;
}

function streamCksum(data: Uint8Array): number {
  const sum = new Cksum();
  for (let at = 0; at < data.length; at += CHUNK) {
    sum.update(data.subarray(at, at + CHUNK));
  }
  return sum.digest();
}

/** One CRC backend over `data` in 1 MiB chunks. */
function streamCksumWith(
  update: (crc: number, bytes: Uint8Array) => number,
  data: Uint8Array,
): number {
  let crc = 0;
  for (let at = 0; at < data.length; at += CHUNK) {
    crc = update(crc, data.subarray(at, at + CHUNK));
  }
  return finish(crc, data.length);
}

function streamDecrypt(backend: AesBackend, cipher: Uint8Array): void {
  const stream = createDecipher(KEY, { backend });
  try {
    for (let at = 0; at < cipher.length; at += CHUNK) {
      stream.update(cipher.subarray(at, at + CHUNK));
    }
    stream.final();
  } finally {
    stream.close();
  }
}

function streamEncrypt(plain: Uint8Array): void {
  const stream = createCipher(KEY);
  try {
    for (let at = 0; at < plain.length; at += CHUNK) {
      stream.update(plain.subarray(at, at + CHUNK));
    }
    stream.final();
  } finally {
    stream.close();
  }
}

const dir = await Deno.makeTempDir({ prefix: "bench_crypto_" });
try {
  const plain = randomData(SIZE);
  const cipher = encrypt(KEY, plain);
  const plainPath = join(dir, "plain.bin");
  const cipherPath = join(dir, "cipher.bin");
  await Deno.writeFile(plainPath, plain);
  await Deno.writeFile(cipherPath, cipher);
  line(
    `data: ${SIZE / MiB} MiB, best of ${RUNS}`,
    "value",
    "baseline",
    "ratio",
  );

  // cksum
  const native = Number(
    (await run("/usr/bin/cksum", [plainPath])).split(" ")[0],
  );
  if (streamCksum(plain) !== native) throw new Error("cksum values differ");
  const cksumNative = await best(
    SIZE,
    () => run("/usr/bin/cksum", [plainPath]),
  );
  const cksumBaseline = `/usr/bin/cksum ${fmt(cksumNative)}`;
  const cksumRate = await best(SIZE, () => streamCksum(plain));
  line(
    `cksum, Cksum (${cksumBackend()})`,
    fmt(cksumRate),
    cksumBaseline,
    (cksumRate / cksumNative).toFixed(2),
  );
  const crcBackends = [
    ["ISA-L", createIsalUpdate()],
    ["WebAssembly slice-by-16", createWasmUpdate()],
    ["TypeScript slice-by-16", updateJs],
  ] as const;
  for (const [label, update] of crcBackends) {
    if (!update) continue;
    if (streamCksumWith(update, plain) !== native) {
      throw new Error(`cksum values differ (${label})`);
    }
    const rate = await best(SIZE, () => streamCksumWith(update, plain));
    line(
      `cksum, ${label}`,
      fmt(rate),
      cksumBaseline,
      (rate / cksumNative).toFixed(2),
    );
  }

  // AES-256-CBC decrypt
  const hexKey = Array.from(KEY, (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const opensslArgs = [
    "enc",
    "-d",
    "-aes-256-cbc",
    "-K",
    hexKey,
    "-iv",
    "0".repeat(32),
    "-in",
    cipherPath,
    "-out",
    "/dev/null",
  ];
  const opensslRate = await best(SIZE, () => run("openssl", opensslArgs));
  const baseline = `openssl enc -d ${fmt(opensslRate)}`;
  const speedRate = await opensslSpeed();
  const speedBaseline = `openssl speed ${fmt(speedRate)}`;
  const backends: AesBackend[] = aesBackend() === "libcrypto"
    ? ["libcrypto", "node"]
    : ["node"];
  for (const backend of backends) {
    const rate = await best(SIZE, () => streamDecrypt(backend, cipher));
    line(
      `AES-256-CBC decrypt, ${backend}`,
      fmt(rate),
      baseline,
      (rate / opensslRate).toFixed(2),
    );
    line(
      `AES-256-CBC decrypt, ${backend}`,
      fmt(rate),
      speedBaseline,
      (rate / speedRate).toFixed(2),
    );
  }
  const encryptRate = await best(SIZE, () => streamEncrypt(plain));
  line(`AES-256-CBC encrypt, ${aesBackend()}`, fmt(encryptRate));
} finally {
  await Deno.remove(dir, { recursive: true });
}
