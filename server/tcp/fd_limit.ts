/**
 * The process's open-file limit (RLIMIT_NOFILE), read and raised through
 * libc's getrlimit / setrlimit over FFI. Every TCP connection holds a
 * descriptor, and one with an upload in flight a second for its file; the
 * common soft limit of 1024 runs out below the default --max-connections.
 * @module
 */

/** Soft and hard limit. */
export interface FdLimits {
  soft: number;
  hard: number;
}

/** Descriptors the server needs beyond its connections: database, logs, HTTP. */
const MARGIN = 256;

/** Descriptors needed for `maxConnections`, each with a file being written. */
export function descriptorsNeeded(maxConnections: number): number {
  return 2 * maxConnections + MARGIN;
}

const LIBC: Partial<Record<typeof Deno.build.os, string>> = {
  linux: "libc.so.6",
  darwin: "libSystem.B.dylib",
};
const RLIMIT_NOFILE: Partial<Record<typeof Deno.build.os, number>> = {
  linux: 7,
  darwin: 8,
};

const SYMBOLS = {
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
} as const;

/** getrlimit / setrlimit of RLIMIT_NOFILE; undefined where libc cannot be loaded. */
function openLibc():
  | { get(): FdLimits; set(limits: FdLimits): boolean; close(): void }
  | undefined {
  const path = LIBC[Deno.build.os];
  const resource = RLIMIT_NOFILE[Deno.build.os];
  if (!path || resource === undefined) return undefined;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch {
    return undefined;
  }
  // struct rlimit { rlim_t rlim_cur, rlim_max; } with 64-bit rlim_t.
  const cells = new BigUint64Array(2);
  const bytes = new Uint8Array(cells.buffer);
  const clamp = (value: bigint) =>
    value > BigInt(Number.MAX_SAFE_INTEGER)
      ? Number.MAX_SAFE_INTEGER
      : Number(value);
  return {
    get() {
      if (lib.symbols.getrlimit(resource, bytes) !== 0) {
        throw new Error("Cannot read the open-file limit: getrlimit failed");
      }
      return { soft: clamp(cells[0]), hard: clamp(cells[1]) };
    },
    set(limits) {
      const hard = cells[1];
      cells[0] = BigInt(limits.soft);
      cells[1] = hard;
      return lib.symbols.setrlimit(resource, bytes) === 0;
    },
    close: () => lib.close(),
  };
}

/**
 * Makes sure the process may open `needed` descriptors: raises the soft
 * limit toward the hard one when it is lower. Returns the limits before and
 * after; undefined where libc is not reachable (the limit is then left as
 * it is). Throws when even the hard limit is too low, naming it and the
 * flag that lowers the need.
 */
export function ensureDescriptors(
  needed: number,
  maxConnections: number,
): { before: FdLimits; after: FdLimits } | undefined {
  const libc = openLibc();
  if (!libc) return undefined;
  try {
    const before = libc.get();
    if (before.soft >= needed) return { before, after: before };
    if (before.hard < needed) {
      const fits = Math.max(0, Math.floor((before.hard - MARGIN) / 2));
      throw new Error(
        `Cannot start: --max-connections ${maxConnections} needs ${needed} open files, but the hard limit (ulimit -Hn) is ${before.hard}; lower --max-connections to ${fits} or raise the limit (e.g. LimitNOFILE= in a systemd unit)`,
      );
    }
    if (!libc.set({ soft: needed, hard: before.hard })) {
      throw new Error(
        `Cannot start: cannot raise the open-file limit from ${before.soft} to ${needed} (setrlimit failed); lower --max-connections or raise ulimit -n`,
      );
    }
    return { before, after: libc.get() };
  } finally {
    libc.close();
  }
}
