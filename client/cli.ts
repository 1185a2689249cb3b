/**
 * Command line of `cyberbackup backup`.
 * @module
 */
import { parseArgs } from "node:util";
import { runBackup } from "./backup.ts";
import { timeoutOption, withInterrupt } from "./cli_shared.ts";
import { createOutput } from "./progress.ts";

const HELP = `Usage: cyberbackup backup [options]

Backs up the files named in transfer.info to a CyberBackup server.

  transfer.info   line 1 host:port, line 2 user name, line 3.. files to back up
  me.info         identity saved after registration (name, client id, key);
                  present: reconnect as that client; absent: register

Options:
  --dir DIR              folder of transfer.info and me.info (default: current folder)
  --oaep-hash sha1|sha256  OAEP hash of the server's key encryption (default sha1)
  --timeout SECONDS      how long to wait for each answer of the server
                         (default: 10 s for the first answer on a connection,
                         120 s for later ones, which may follow a large upload)
  --key-field 160|162    public key sent when registering: 160 bytes, RSA
                         exponent 17 (default), or 162 bytes, exponent 65537,
                         for servers that demand a 162-byte key field
  -h, --help             show this help

Exit status: 0 when every file was verified by the server, 1 when a backup
failed, 2 on a usage error, 130 when interrupted (Ctrl-C; the message says
whether the server may already have the file in flight).
`;

/**
 * Runs `cyberbackup backup` with `args` (after the subcommand) and returns
 * the exit status.
 */
export async function backupCommand(args: string[]): Promise<number> {
  const out = createOutput();
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        dir: { type: "string" },
        "oaep-hash": { type: "string" },
        timeout: { type: "string" },
        "key-field": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    out.error(`cyberbackup backup: ${(error as Error).message}`);
    out.error("Try: cyberbackup backup --help");
    return 2;
  }
  if (values.help) {
    out.info(HELP.trimEnd());
    return 0;
  }
  const hash = values["oaep-hash"] ?? "sha1";
  if (hash !== "sha1" && hash !== "sha256") {
    out.error(
      `cyberbackup backup: --oaep-hash must be sha1 or sha256, not "${hash}"`,
    );
    return 2;
  }
  const keyField = values["key-field"] ?? "160";
  if (keyField !== "160" && keyField !== "162") {
    out.error(
      `cyberbackup backup: --key-field must be 160 or 162, not "${keyField}"`,
    );
    return 2;
  }
  const connection = timeoutOption(values.timeout);
  if (connection && "error" in connection) {
    out.error(`cyberbackup backup: ${connection.error}`);
    return 2;
  }
  // Ctrl-C stops the backup cleanly and says what the server may have.
  return await withInterrupt((signal) =>
    runBackup({
      dir: values.dir ?? Deno.cwd(),
      oaepHash: hash,
      keyField: keyField === "162" ? 162 : 160,
      connection,
      out,
      signal,
    })
  );
}
