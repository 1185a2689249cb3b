/**
 * The server's configuration: defaults, then environment variables, then
 * command-line flags. Pure: callers pass in the flags, the environment and
 * the contents of `port.info`.
 * @module
 */
import type { OaepHash } from "./crypto/rsa_oaep.ts";

/** Log levels LogTape knows, lowest first. */
export type LogLevel = "debug" | "info" | "warning" | "error" | "fatal";

/** Limits that an administrator may change while the server runs. */
export interface RuntimeLimitValues {
  maxConnections: number;
  idleTimeoutMs: number;
}

/** The effective configuration of `cyberbackup serve`. */
export interface ServerConfig extends RuntimeLimitValues {
  dataDir: string;
  /** TCP port of the protocol server. */
  port: number;
  /** Where the TCP port came from, for the portal and the logs. */
  portSource: "flag" | "env" | "port.info" | "default";
  host: string;
  httpHost: string;
  httpPort: number;
  workers: number;
  /** Largest payload of one 1028 packet (its content plus 267 fixed bytes). */
  maxPacketBytes: number;
  /** Largest original file size accepted. */
  maxFileBytes: number;
  oaepHash: OaepHash;
  logLevel: LogLevel;
  /** Seconds that in-flight transfers get to finish on SIGINT / SIGTERM. */
  shutdownGraceMs: number;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** Comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For counts. */
  trustedProxy?: string;
  /** Comma-separated host names the HTTP side answers to besides its own address and localhost. */
  publicNames?: string;
  /** Concurrent TCP connections one remote address may hold. */
  maxPerAddress: number;
  /** Time a TCP connection gets to finish 1025/1027 and its key exchange. */
  authTimeoutMs: number;
  /** TCP registrations (1025) one address may make per minute (burst the same). */
  registerRate: number;
  /** Free bytes on the data disk below which new uploads are refused. */
  minFreeBytes: number;
  /** Days a trashed version is kept before the scheduled purge (issue 13). */
  trashDays: number;
  /** Time between scheduled retention + trash purge + GC runs; 0 turns them off. */
  maintenanceIntervalMs: number;
  /** Time between evaluations of client states (server/ops/watcher.ts). */
  opsIntervalMs: number;
  /** Per-client series (last success, state) on /metrics. */
  clientMetrics: boolean;
}

/** Default TCP port when neither a flag, the environment nor port.info says. */
export const DEFAULT_PORT = 1256;

type Kind = "int" | "size" | "string" | "hash" | "level" | "ms" | "switch";

interface OptionSpec {
  flag: string;
  env: string;
  kind: Kind;
  help: string;
}

/** Every `serve` option: flag, environment variable, and help text. */
const OPTIONS = {
  dataDir: {
    flag: "data-dir",
    env: "CYBERBACKUP_DATA_DIR",
    kind: "string",
    help:
      "folder of port.info, defensive.db, received_files/, logs/ (default: working directory)",
  },
  port: {
    flag: "port",
    env: "CYBERBACKUP_PORT",
    kind: "int",
    help:
      "TCP port of the protocol server (default: port.info, else 1256; 0 picks a free port)",
  },
  host: {
    flag: "host",
    env: "CYBERBACKUP_HOST",
    kind: "string",
    help: "address the protocol server binds (default 0.0.0.0)",
  },
  httpHost: {
    flag: "http-host",
    env: "CYBERBACKUP_HTTP_HOST",
    kind: "string",
    help: "address of the admin portal and JSON API (default 127.0.0.1)",
  },
  httpPort: {
    flag: "http-port",
    env: "CYBERBACKUP_HTTP_PORT",
    kind: "int",
    help:
      "port of the admin portal and JSON API (default 9090; 0 picks a free port)",
  },
  workers: {
    flag: "workers",
    env: "CYBERBACKUP_WORKERS",
    kind: "int",
    help: "TCP worker threads (default: one per core)",
  },
  maxConnections: {
    flag: "max-connections",
    env: "CYBERBACKUP_MAX_CONNECTIONS",
    kind: "int",
    help: "concurrent TCP connections; extra ones are refused (default 1024)",
  },
  idleTimeoutMs: {
    flag: "idle-timeout",
    env: "CYBERBACKUP_IDLE_TIMEOUT",
    kind: "ms",
    help:
      "drop a connection when one read (a request header, a payload, or 64 KiB of file content) takes longer than this, e.g. 60s or 500ms (default 60s)",
  },
  maxPacketBytes: {
    flag: "max-packet",
    env: "CYBERBACKUP_MAX_PACKET",
    kind: "size",
    help: "largest file packet payload, e.g. 16M (default 16M)",
  },
  maxFileBytes: {
    flag: "max-file",
    env: "CYBERBACKUP_MAX_FILE",
    kind: "size",
    help:
      "largest file accepted, e.g. 1G (default and protocol maximum: 4294967279 bytes)",
  },
  oaepHash: {
    flag: "oaep-hash",
    env: "CYBERBACKUP_OAEP_HASH",
    kind: "hash",
    help:
      "RSA-OAEP hash for the AES key: sha1 (Crypto++, PyCryptodome default) or sha256",
  },
  logLevel: {
    flag: "log-level",
    env: "CYBERBACKUP_LOG_LEVEL",
    kind: "level",
    help: "debug, info, warning, error or fatal (default info)",
  },
  shutdownGraceMs: {
    flag: "shutdown-grace",
    env: "CYBERBACKUP_SHUTDOWN_GRACE",
    kind: "ms",
    help:
      "time transfers in flight get to finish on SIGINT/SIGTERM (default 10s)",
  },
  metricsToken: {
    flag: "metrics-token",
    env: "CYBERBACKUP_METRICS_TOKEN",
    kind: "string",
    help:
      "require Authorization: Bearer <token> on GET /metrics (default: open, like /health)",
  },
  trustedProxy: {
    flag: "trusted-proxy",
    env: "CYBERBACKUP_TRUSTED_PROXY",
    kind: "string",
    help:
      "comma-separated proxy addresses or CIDRs whose X-Forwarded-For names the client (default: none)",
  },
  publicNames: {
    flag: "public-name",
    env: "CYBERBACKUP_PUBLIC_NAME",
    kind: "string",
    help:
      "comma-separated host names the portal is reached by, besides --http-host, localhost and IP addresses",
  },
  maxPerAddress: {
    flag: "max-per-address",
    env: "CYBERBACKUP_MAX_PER_ADDRESS",
    kind: "int",
    help:
      "concurrent TCP connections from one address; extra ones are refused (default 64)",
  },
  authTimeoutMs: {
    flag: "auth-timeout",
    env: "CYBERBACKUP_AUTH_TIMEOUT",
    kind: "ms",
    help:
      "close a TCP connection that has not registered or reconnected and exchanged keys within this time (default 30s)",
  },
  registerRate: {
    flag: "register-rate",
    env: "CYBERBACKUP_REGISTER_RATE",
    kind: "int",
    help:
      "TCP registrations one address may make per minute; more get 1601 (default 10)",
  },
  minFreeBytes: {
    flag: "min-free",
    env: "CYBERBACKUP_MIN_FREE",
    kind: "size",
    help:
      "refuse new uploads (1607) while the data disk has less free space than this, e.g. 1G (default 1G; 0 turns it off)",
  },
  trashDays: {
    flag: "trash-days",
    env: "CYBERBACKUP_TRASH_DAYS",
    kind: "int",
    help:
      "days a version moved to the trash is kept before it is purged (default 7)",
  },
  maintenanceIntervalMs: {
    flag: "maintenance-interval",
    env: "CYBERBACKUP_MAINTENANCE_INTERVAL",
    kind: "ms",
    help:
      "time between scheduled retention, trash purge and garbage collection, e.g. 24h or 30m (default 24h; 0 turns it off)",
  },
  opsIntervalMs: {
    flag: "ops-interval",
    env: "CYBERBACKUP_OPS_INTERVAL",
    kind: "ms",
    help:
      "how often client states (ok, overdue, failing, locked) are re-evaluated and changes notified, e.g. 30s (default 60s)",
  },
  clientMetrics: {
    flag: "client-metrics",
    env: "CYBERBACKUP_CLIENT_METRICS",
    kind: "switch",
    help:
      "on: /metrics adds per-client series (last success, state), one per client (default off)",
  },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;

/** The largest plaintext whose ciphertext size still fits a u32 field. */
export const MAX_PROTOCOL_FILE = 0xffff_ffff - 16;

const DEFAULTS: Omit<
  ServerConfig,
  "dataDir" | "port" | "portSource" | "workers"
> = {
  host: "0.0.0.0",
  httpHost: "127.0.0.1",
  httpPort: 9090,
  maxConnections: 1024,
  idleTimeoutMs: 60_000,
  maxPacketBytes: 16 * 1024 * 1024,
  maxFileBytes: MAX_PROTOCOL_FILE,
  oaepHash: "sha1",
  logLevel: "info",
  shutdownGraceMs: 10_000,
  maxPerAddress: 64,
  authTimeoutMs: 30_000,
  registerRate: 10,
  minFreeBytes: 1024 ** 3,
  trashDays: 7,
  maintenanceIntervalMs: 24 * 3600_000,
  opsIntervalMs: 60_000,
  clientMetrics: false,
};

/** The `parseArgs` option table of `serve`. */
export const SERVE_ARGS = Object.fromEntries(
  Object.values(OPTIONS).map((o) => [o.flag, { type: "string" as const }]),
);

/** Help text of every `serve` option. */
export function serveHelp(): string {
  return Object.values(OPTIONS).map((o) =>
    `  --${o.flag.padEnd(16)} ${o.help}\n  ${"".padEnd(18)} env ${o.env}`
  ).join("\n");
}

const LEVELS: readonly LogLevel[] = [
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
];
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
};

/** Parses one option value; throws a TypeError naming the option. */
function parseValue(
  spec: OptionSpec,
  text: string,
): string | number | boolean {
  const fail = (why: string): never => {
    throw new TypeError(`Invalid --${spec.flag} "${text}": ${why}`);
  };
  switch (spec.kind) {
    case "string":
      return text.length > 0 ? text : fail("empty");
    case "int":
      return /^\d+$/.test(text) ? Number(text) : fail("not a whole number");
    case "size": {
      const m = /^(\d+)\s*([KMG]?)(i?B)?$/i.exec(text);
      return m
        ? Number(m[1]) * SIZE_UNITS[m[2].toUpperCase()]
        : fail("not a size such as 1048576, 512K, 16M or 2G");
    }
    case "ms": {
      const m = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(text);
      if (!m) return fail("not a duration such as 500ms, 30s, 5m or 24h");
      return Number(m[1]) *
        ({ ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86400_000 }[
          m[2] ?? "ms"
        ]!);
    }
    case "hash":
      return text === "sha1" || text === "sha256"
        ? text
        : fail("use sha1 or sha256");
    case "switch":
      return text === "on" || text === "off"
        ? text === "on"
        : fail("use on or off");
    case "level":
      return (LEVELS as readonly string[]).includes(text)
        ? text
        : fail(`use one of ${LEVELS.join(", ")}`);
  }
}

/** Parses `port.info`: one decimal port number. */
export function parsePortInfo(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{1,5}$/.test(trimmed)) return undefined;
  const port = Number(trimmed);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * The effective configuration: flags over environment over port.info over
 * defaults. Throws a TypeError for an invalid value; a bad port.info is
 * reported through `warnings`, not fatal.
 */
export function resolveConfig(input: {
  flags: Record<string, string | undefined>;
  env: Record<string, string | undefined>;
  /** Contents of port.info, undefined when the file is missing. */
  portInfo?: string;
  cwd: string;
  cores: number;
}): { config: ServerConfig; warnings: string[] } {
  const warnings: string[] = [];
  const given: Partial<Record<OptionName, string | number | boolean>> = {};
  const sources: Partial<Record<OptionName, "flag" | "env">> = {};
  for (
    const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]
  ) {
    const flag = input.flags[spec.flag];
    const env = input.env[spec.env];
    if (flag !== undefined) {
      given[name] = parseValue(spec, flag);
      sources[name] = "flag";
    } else if (env !== undefined && env !== "") {
      given[name] = parseValue(
        { ...spec, flag: `${spec.flag} (${spec.env})` },
        env,
      );
      sources[name] = "env";
    }
  }
  let port = given.port as number | undefined;
  let portSource: ServerConfig["portSource"] = sources.port ?? "default";
  if (port === undefined) {
    const fromFile = input.portInfo === undefined
      ? undefined
      : parsePortInfo(input.portInfo);
    if (input.portInfo === undefined) {
      warnings.push(`port.info is missing; using port ${DEFAULT_PORT}`);
    } else if (fromFile === undefined) {
      warnings.push(
        `port.info does not hold a port number (1-65535); using port ${DEFAULT_PORT}`,
      );
    }
    port = fromFile ?? DEFAULT_PORT;
    portSource = fromFile === undefined ? "default" : "port.info";
  }
  const config = {
    ...DEFAULTS,
    workers: Math.max(1, input.cores),
    dataDir: input.cwd,
    ...given,
    port,
    portSource,
  } as ServerConfig;
  checkRanges(config);
  return { config, warnings };
}

function checkRanges(config: ServerConfig): void {
  const range = (name: string, value: number, min: number, max: number) => {
    if (value < min || value > max) {
      throw new RangeError(
        `Invalid --${name} ${value}: must be ${min}..${max}`,
      );
    }
  };
  range("port", config.port, 0, 65535);
  range("http-port", config.httpPort, 0, 65535);
  range("workers", config.workers, 1, 64);
  range("max-connections", config.maxConnections, 1, 1_000_000);
  range("idle-timeout", config.idleTimeoutMs, 100, 24 * 3600_000);
  range("max-packet", config.maxPacketBytes, 64 * 1024, 1024 ** 3);
  range("max-file", config.maxFileBytes, 0, MAX_PROTOCOL_FILE);
  range("shutdown-grace", config.shutdownGraceMs, 0, 3600_000);
  range("max-per-address", config.maxPerAddress, 1, 1_000_000);
  range("auth-timeout", config.authTimeoutMs, 100, 3600_000);
  range("register-rate", config.registerRate, 1, 1_000_000);
  range("min-free", config.minFreeBytes, 0, Number.MAX_SAFE_INTEGER);
  range("trash-days", config.trashDays, 0, 3650);
  range(
    "maintenance-interval",
    config.maintenanceIntervalMs,
    0,
    365 * 86400_000,
  );
  range("ops-interval", config.opsIntervalMs, 100, 24 * 3600_000);
}
