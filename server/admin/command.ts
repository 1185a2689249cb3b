/**
 * `cyberbackup admin ...`: local administration without the portal.
 *
 *     cyberbackup admin set-password [--user NAME] [--password-stdin]
 *     cyberbackup admin list-clients [--json]
 *     cyberbackup admin retention|policy|trash|gc ... (maintenance.ts)
 *
 * The new password is read from the terminal without echo (asked twice), or
 * from standard input when it is not a terminal or with --password-stdin;
 * it never appears in arguments, the environment or the output.
 * @module
 */
import { Database } from "../storage/database.ts";
import type { BackupStorage } from "../storage/types.ts";
import { resolveConfig } from "../config.ts";
import { ADMIN_USER, setAdminPassword } from "./account.ts";
import { MAINTENANCE_USAGE, runMaintenanceCommand } from "./maintenance.ts";

const USAGE = `Usage:
  cyberbackup admin set-password [--user NAME] [--password-stdin]
      Sets the portal password (default user "admin"). Reads it from the
      terminal without echo, or from standard input.
  cyberbackup admin list-clients [--json]
      Lists the registered clients.
${MAINTENANCE_USAGE}Options:
  --data-dir DIR   where defensive.db lives (default: the working directory)
`;

/** Where the command reads input and writes output (tests pass their own). */
export interface CommandIO {
  stdin: ReadableStream<Uint8Array>;
  stdinIsTerminal: boolean;
  setRaw?: (raw: boolean) => void;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs one admin subcommand; returns the process exit code. */
export async function runAdminCommand(
  args: string[],
  options: {
    dataDir: string;
    io?: CommandIO;
  },
): Promise<number> {
  const io = options.io ?? denoIO();
  let dataDir = options.dataDir;
  const at = args.indexOf("--data-dir");
  if (at !== -1) {
    if (!args[at + 1]) {
      io.err(`--data-dir needs a folder\n${USAGE}`);
      return 2;
    }
    dataDir = args[at + 1];
    args = [...args.slice(0, at), ...args.slice(at + 2)];
  }
  const [command, ...rest] = args;
  if (
    command === undefined || command === "help" || command === "--help" ||
    command === "-h"
  ) {
    (command === undefined ? io.err : io.out)(USAGE);
    return command === undefined ? 2 : 0;
  }
  const db = Database.open(`${dataDir}/defensive.db`);
  try {
    if (command === "set-password") return await setPassword(db, rest, io);
    if (command === "list-clients") return listAll(db, rest, io);
    const maintenance = await runMaintenanceCommand(command, rest, {
      db,
      dataDir,
      trashDays: trashDays(dataDir),
      io,
    });
    if (maintenance !== undefined) return maintenance;
    io.err(`Unknown admin command: ${command}\n${USAGE}`);
    return 2;
  } finally {
    db.close();
  }
}

/** The trash delay the server uses (CYBERBACKUP_TRASH_DAYS, else the default). */
function trashDays(dataDir: string): number {
  return resolveConfig({
    flags: {},
    env: { CYBERBACKUP_TRASH_DAYS: Deno.env.get("CYBERBACKUP_TRASH_DAYS") },
    portInfo: "1",
    cwd: dataDir,
    cores: 1,
  }).config.trashDays;
}

async function setPassword(
  db: BackupStorage,
  args: string[],
  io: CommandIO,
): Promise<number> {
  let user = ADMIN_USER;
  let fromStdin = !io.stdinIsTerminal;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--user" && args[i + 1]) user = args[++i];
    else if (args[i] === "--password-stdin") fromStdin = true;
    else {
      io.err(`Unknown option: ${args[i]}\n${USAGE}`);
      return 2;
    }
  }
  const reader = new LineReader(io.stdin);
  let password: string;
  if (fromStdin) {
    password = (await reader.line()) ?? "";
  } else {
    try {
      password = await promptHidden(reader, io, "New password: ");
      const again = await promptHidden(reader, io, "Repeat it: ");
      if (password !== again) {
        io.err("The passwords differ; nothing changed.\n");
        return 1;
      }
    } catch {
      io.err("Cancelled; nothing changed.\n");
      return 1;
    }
  }
  reader.release();
  try {
    await setAdminPassword(db, user, password);
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 1;
  }
  io.out(
    `Password of "${user}" changed. Sessions signed in before keep working until they expire or the server restarts.\n`,
  );
  return 0;
}

function listAll(db: BackupStorage, args: string[], io: CommandIO): number {
  const json = args.includes("--json");
  const rows = [];
  for (let page = 1;; page++) {
    const result = db.clients.list({
      sort: "name",
      dir: "asc",
      page,
      pageSize: 200,
    });
    rows.push(...result.rows);
    if (page * result.pageSize >= result.total) break;
  }
  if (json) {
    io.out(JSON.stringify(rows, null, 2) + "\n");
    return 0;
  }
  if (rows.length === 0) {
    io.out("No clients registered.\n");
    return 0;
  }
  const header = ["CLIENT ID", "NAME", "FILES", "VERIFIED", "LAST SEEN"];
  const table = rows.map((
    r,
  ) => [r.id, r.name, String(r.files), String(r.verified), r.lastSeen ?? "-"]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...table.map((row) => row[i].length))
  );
  const line = (cells: string[]) =>
    cells.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd() + "\n";
  io.out(line(header) + table.map(line).join(""));
  return 0;
}

async function promptHidden(
  reader: LineReader,
  io: CommandIO,
  prompt: string,
): Promise<string> {
  io.err(prompt);
  io.setRaw?.(true);
  try {
    return await reader.hiddenLine();
  } finally {
    io.setRaw?.(false);
    io.err("\n");
  }
}

/** Reads lines from a byte stream; in raw mode, handles backspace and Ctrl-C itself. */
class LineReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next line without its line ending; undefined at the end of input. */
  async line(): Promise<string | undefined> {
    while (!this.#buffer.includes("\n") && !this.#done) await this.#fill();
    if (this.#buffer === "" && this.#done) return undefined;
    const end = this.#buffer.indexOf("\n");
    const line = end === -1 ? this.#buffer : this.#buffer.slice(0, end);
    this.#buffer = end === -1 ? "" : this.#buffer.slice(end + 1);
    return line.replace(/\r$/, "");
  }

  /** A line typed on a raw terminal: Enter ends it, Backspace edits, Ctrl-C or Ctrl-D cancels. */
  async hiddenLine(): Promise<string> {
    let text = "";
    for (;;) {
      if (this.#buffer === "") {
        if (this.#done) return text;
        await this.#fill();
        continue;
      }
      const char = this.#buffer[0];
      this.#buffer = this.#buffer.slice(1);
      if (char === "\r" || char === "\n") return text;
      if (char === "\u0003" || char === "\u0004") {
        throw new Error("Cannot set password: cancelled");
      }
      if (char === "\u007f" || char === "\b") text = text.slice(0, -1);
      else if (char >= " ") text += char;
    }
  }

  release(): void {
    this.#reader.releaseLock();
  }

  async #fill(): Promise<void> {
    const { value, done } = await this.#reader.read();
    if (done) this.#done = true;
    else this.#buffer += this.#decoder.decode(value, { stream: true });
  }
}

function denoIO(): CommandIO {
  const encoder = new TextEncoder();
  return {
    stdin: Deno.stdin.readable,
    stdinIsTerminal: Deno.stdin.isTerminal(),
    setRaw: (raw) => Deno.stdin.setRaw(raw),
    out: (text) => writeAll(Deno.stdout, encoder.encode(text)),
    err: (text) => writeAll(Deno.stderr, encoder.encode(text)),
  };
}

function writeAll(
  target: { writeSync(p: Uint8Array): number },
  bytes: Uint8Array,
): void {
  for (let done = 0; done < bytes.length;) {
    done += target.writeSync(bytes.subarray(done));
  }
}
