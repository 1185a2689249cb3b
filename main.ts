// deno-lint-ignore-file no-console -- the CLI's own output (help, version, fatal errors)
/**
 * `cyberbackup`: composition root. Parses the command line, configures
 * logging, starts the server (or runs the client or an admin command), and
 * shuts down on signals.
 * @module
 */
import { dispose, getLogger } from "@logtape/logtape";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import denoJson from "./deno.json" with { type: "json" };
import { backupCommand } from "./client/cli.ts";
import { restoreCommand } from "./client/restore_cli.ts";
import { runAdminCommand } from "./server/admin/command.ts";
import { resolveConfig, SERVE_ARGS, serveHelp } from "./server/config.ts";
import { configureMainLogging } from "./server/logging.ts";
import { startServer } from "./server/serve.ts";
import { LogBuffer } from "./server/stats/log_buffer.ts";
import { descriptorsNeeded, ensureDescriptors } from "./server/tcp/fd_limit.ts";
import { lockDataDir } from "./server/storage/data_lock.ts";
import { secureDataDir } from "./server/storage/permissions.ts";

const VERSION = denoJson.version;

const USAGE = `cyberbackup ${VERSION}: encrypted client-server file backup

Usage:
  cyberbackup [serve] [options]     run the backup server (TCP protocol + admin portal)
  cyberbackup backup [--dir DIR]    back up the files named in DIR/transfer.info
  cyberbackup restore [--dir DIR]   list or restore backed-up files (restore --help)
  cyberbackup admin <command>       local administration (set-password, list-clients,
                                    retention, policy, trash, gc)
  cyberbackup --help | --version

Options of serve (flags override environment variables, which override port.info):
${serveHelp()}
`;

const COMMANDS = ["serve", "backup", "restore", "admin"] as const;

/**
 * How to run an admin command the way this process was started: the
 * compiled executable by its name, from source through deno.
 */
export function adminCommandHint(
  execPath: string,
  mainUrl: string,
  command: string,
): string {
  const runtime = execPath.split(/[\\/]/).pop() ?? "";
  if (!/^deno(\.exe)?$/.test(runtime)) return `${runtime} admin ${command}`;
  return `deno run -A ${new URL(mainUrl).pathname} admin ${command}`;
}

async function readPortInfo(dataDir: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(join(dataDir, "port.info"));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...SERVE_ARGS, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const flags = values as Record<string, string | undefined>;
  const dataDir = flags["data-dir"] ?? Deno.env.get("CYBERBACKUP_DATA_DIR") ??
    Deno.cwd();
  const { config, warnings } = resolveConfig({
    flags,
    env: Deno.env.toObject(),
    portInfo: flags.port ? undefined : await readPortInfo(dataDir),
    cwd: Deno.cwd(),
    cores: availableParallelism(),
  });
  // Before anything in the folder is touched: a second server must not run
  // recovery over the first one's uploads (nor share its database).
  let lock;
  try {
    lock = await lockDataDir(config.dataDir);
  } catch (error) {
    console.error(`cyberbackup: ${(error as Error).message}`);
    return 1;
  }
  const unsecured = await secureDataDir(config.dataDir);
  let descriptors;
  try {
    descriptors = ensureDescriptors(
      descriptorsNeeded(config.maxConnections),
      config.maxConnections,
    );
  } catch (error) {
    console.error(`cyberbackup: ${(error as Error).message}`);
    lock.release();
    return 1;
  }
  const logs = new LogBuffer();
  await configureMainLogging({
    level: config.logLevel,
    logDir: join(config.dataDir, "logs"),
    extraSinks: { portal: logs.sink },
  });
  const logger = getLogger(["cyberbackup", "server"]);
  for (const warning of [...warnings, ...unsecured]) logger.warn(warning);
  if (!descriptors) {
    logger.warn(
      "Cannot check the open-file limit here (no libc); see SECURITY.md",
    );
  } else if (descriptors.after.soft !== descriptors.before.soft) {
    logger.info("Raised the open-file limit from {from} to {to}", {
      from: descriptors.before.soft,
      to: descriptors.after.soft,
    });
  }
  let server;
  try {
    server = await startServer(config, { version: VERSION, logs, lock });
  } catch (error) {
    logger.fatal("Cannot start server: {message}", {
      message: (error as Error).message,
    });
    await dispose();
    lock.release();
    return 1;
  }
  const stopped = Promise.withResolvers<void>();
  const onSignal = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  if (server.initialPassword) {
    // Shown once, on the console only: it must not reach the log file.
    console.log(
      `\nAdmin portal account created. Sign in at http://${config.httpHost}:${server.httpPort}/login\n` +
        `  user: admin\n  password: ${server.initialPassword}\n` +
        `Change it with: ${
          adminCommandHint(
            // Set by the packaged executable (build/package_header.sh),
            // whose Deno is an implementation detail.
            Deno.env.get("CYBERBACKUP_EXECUTABLE") ?? Deno.execPath(),
            import.meta.url,
            "set-password",
          )
        }\n`,
    );
  }
  logger.info("CyberBackup {version} started", { version: VERSION });
  await stopped.promise;
  await server.stop();
  await dispose();
  lock.release();
  return 0;
}

async function main(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  if (first === "--help" || first === "-h" || first === "help") {
    console.log(USAGE);
    return 0;
  }
  if (first === "--version" || first === "-V") {
    console.log(`cyberbackup ${VERSION}`);
    return 0;
  }
  switch (first) {
    case "backup":
      return await backupCommand(rest);
    case "restore":
      return await restoreCommand(rest);
    case "serve":
      return await serveCommand(rest);
    case "admin":
      return await runAdminCommand(rest, {
        dataDir: Deno.env.get("CYBERBACKUP_DATA_DIR") ?? Deno.cwd(),
      });
    default:
      if (first !== undefined && !first.startsWith("-")) {
        console.error(
          `cyberbackup: unknown command "${first}"; the commands are ${
            COMMANDS.join(", ")
          } (see --help)`,
        );
        return 2;
      }
      return await serveCommand(args);
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`cyberbackup: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
