/**
 * Command line of `cyberbackup restore`.
 * @module
 */
import { parseArgs } from "node:util";
import { timeoutOption, withInterrupt } from "./cli_shared.ts";
import { createOutput } from "./progress.ts";
import { runRestore } from "./restore.ts";
import { parseAt, type VersionChoice } from "./restore_select.ts";

const HELP = `Usage: cyberbackup restore [options]

Lists or restores this client's backed-up files. Needs transfer.info (line 1
host:port, line 2 user name) and me.info (the identity with the private key
that \`cyberbackup backup\` saved) in --dir.

Options:
  --dir DIR              folder of transfer.info and me.info (default: current folder)
  --list                 print every file's versions (number, time, size, cksum, BLAKE3)
  --file NAME            restore this file (repeat for more; default: every file)
  --version N            restore version N (1 = the oldest)
  --at TIME              restore the newest version stored at or before TIME
                         (ISO 8601: 2026-11-30, 2026-11-30T21:00, 2026-11-30T21:00:00Z)
  --to OUTDIR            folder to restore into (default: current folder)
  --overwrite            replace existing files (default: never replace one)
  --oaep-hash sha1|sha256  OAEP hash of the server's key encryption (default sha1)
  --timeout SECONDS      how long to wait for each answer of the server
  -h, --help             show this help

Each file is written under a temporary name (.cyberbackup-<blake3>.part) and
renamed only once its cksum and BLAKE3 match; an interrupted restore resumes
from that file when run again.

Exit status: 0 when every requested file was restored and verified (or the
list printed), 1 when one was not, 2 on a usage error, 130 when interrupted.
`;

/** Runs `cyberbackup restore` with `args` and returns the exit status. */
export async function restoreCommand(args: string[]): Promise<number> {
  const out = createOutput({ verb: "restore" });
  const usage = (message: string) => {
    out.error(`cyberbackup restore: ${message}`);
    out.error("Try: cyberbackup restore --help");
    return 2;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        dir: { type: "string" },
        list: { type: "boolean" },
        file: { type: "string", multiple: true },
        version: { type: "string" },
        at: { type: "string" },
        to: { type: "string" },
        overwrite: { type: "boolean" },
        "oaep-hash": { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) {
    out.info(HELP.trimEnd());
    return 0;
  }
  const hash = values["oaep-hash"] ?? "sha1";
  if (hash !== "sha1" && hash !== "sha256") {
    return usage(`--oaep-hash must be sha1 or sha256, not "${hash}"`);
  }
  if (values.version !== undefined && values.at !== undefined) {
    return usage("give --version or --at, not both");
  }
  let choice: VersionChoice = { kind: "newest" };
  if (values.version !== undefined) {
    const number = Number(values.version);
    if (!/^\d+$/.test(values.version) || number < 1 || number > 0xffff_ffff) {
      return usage(
        `--version must be a version number from 1, not "${values.version}"`,
      );
    }
    choice = { kind: "number", number };
  }
  if (values.at !== undefined) {
    const at = parseAt(values.at);
    if (at === undefined) {
      return usage(`--at must be an ISO 8601 date or time, not "${values.at}"`);
    }
    choice = { kind: "at", at, text: values.at };
  }
  const connection = timeoutOption(values.timeout);
  if (connection && "error" in connection) return usage(connection.error);
  return await withInterrupt((signal) =>
    runRestore({
      dir: values.dir ?? Deno.cwd(),
      list: values.list ?? false,
      files: values.file ?? [],
      choice,
      to: values.to,
      overwrite: values.overwrite ?? false,
      oaepHash: hash,
      connection,
      out,
      signal,
    })
  );
}
