/**
 * The C++ test peer in `classic_client/`: a client of our own writing that
 * speaks the classic Crypto++ client's dialect (flags select the others).
 * Built with g++ against Debian's Crypto++ and cached by the hash of its
 * sources, so a test run compiles it at most once.
 * @module
 */
import { join } from "node:path";

const SOURCE_DIR = new URL("./classic_client/", import.meta.url).pathname;
const COMPILE = ["-std=c++17", "-O2", "-Wall", "-Wextra"];
const LIBS = ["-lcryptopp"];
/** Where Debian's libcrypto++-dev puts the headers (`cryptopp` is a link). */
const CRYPTOPP_HEADERS = [
  "/usr/include/cryptopp/rsa.h",
  "/usr/include/crypto++/rsa.h",
];

/** The 1026 key field: exponent 17 alone, + 2 junk bytes, or exponent 65537. */
export type KeyField = "160" | "162junk" | "162e65537";

/** A wire dialect of the peer; unset fields take the classic client's. */
export interface PeerDialect {
  keyField?: KeyField;
  ivPrefix?: boolean;
  /** `packet`: ContentSize is this packet's length; `total`: the whole upload's. */
  size?: "total" | "packet";
  packetBytes?: number;
  /** Pretend the first N checksums differ (1030, then 1031 after three). */
  failCrc?: number;
}

/** The classic client's own dialect, as measured (docs/protocol.md). */
export const CLASSIC: Required<Omit<PeerDialect, "failCrc">> = {
  keyField: "162junk",
  ivPrefix: true,
  size: "packet",
  packetBytes: 1024 * 1024,
};

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  return dirs.map((dir) => join(dir, command)).find(isFile);
}

/**
 * Why the peer cannot be built here (no g++ or no Crypto++ headers), or
 * undefined when it can.
 */
export function peerToolchainMissing(): string | undefined {
  if (!onPath("g++")) return "no g++ on the PATH (apt-get install g++)";
  if (!CRYPTOPP_HEADERS.some(isFile)) {
    return "no Crypto++ headers (apt-get install libcrypto++-dev)";
  }
  return undefined;
}

async function sourceHash(): Promise<string> {
  const names = [...Deno.readDirSync(SOURCE_DIR)]
    .filter((entry) => entry.isFile)
    .map((entry) => entry.name)
    .sort();
  const parts = [[...COMPILE, ...LIBS].join(" ")];
  for (const name of names) {
    parts.push(name, await Deno.readTextFile(join(SOURCE_DIR, name)));
  }
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(parts.join("\0")),
  );
  return Array.from(
    new Uint8Array(digest).subarray(0, 8),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

function cacheRoot(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME") ?? Deno.cwd();
  return join(xdg || join(home, ".cache"), "cyberbackup", "peers");
}

/**
 * Path of the built peer: compiled on first use into a folder named by the
 * hash of its sources and flags, reused afterwards. `compileMs` is set when
 * this call compiled it.
 */
export async function buildClassicClient(): Promise<
  { path: string; compileMs?: number }
> {
  const dir = join(cacheRoot(), `classic-client-${await sourceHash()}`);
  const path = join(dir, "classic_client");
  if (isFile(path)) return { path };
  await Deno.mkdir(dir, { recursive: true });
  // Built under a private name and renamed, so two test processes building
  // at once never run a half-written binary.
  const partial = `${path}.${Deno.pid}.partial`;
  const started = performance.now();
  const result = await new Deno.Command("g++", {
    args: [...COMPILE, "-o", partial, join(SOURCE_DIR, "main.cpp"), ...LIBS],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr);
    throw new Error(`Cannot build the classic client peer:\n${stderr}`);
  }
  await Deno.rename(partial, path);
  return { path, compileMs: Math.round(performance.now() - started) };
}

/** Command-line flags of the peer for `dialect`. */
export function peerArgs(dialect: PeerDialect = {}): string[] {
  const d = { ...CLASSIC, ...dialect };
  return [
    "--key-field",
    d.keyField,
    "--iv-prefix",
    d.ivPrefix ? "yes" : "no",
    "--size",
    d.size,
    "--packet-bytes",
    String(d.packetBytes),
    "--fail-crc",
    String(dialect.failCrc ?? 0),
  ];
}

/** What one run of the peer did. */
export interface PeerRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the peer in `dir` (where transfer.info and me.info live). */
export async function runPeer(
  binary: string,
  dir: string,
  dialect: PeerDialect = {},
): Promise<PeerRun> {
  const result = await new Deno.Command(binary, {
    args: peerArgs(dialect),
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}
