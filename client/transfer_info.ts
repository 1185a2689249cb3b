/**
 * `transfer.info`, the client's instructions: where the server is, who the
 * user is, which files to back up. See `docs/protocol.md`, "Client state files".
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import { checkUserName } from "../server/protocol/names.ts";

/** What `transfer.info` asks for. */
export interface TransferInfo {
  /** Host name or address; an IPv6 address without its brackets. */
  host: string;
  port: number;
  name: string;
  /** Paths as written, one per file to back up (at least one). */
  files: string[];
}

/** A `transfer.info` or `me.info` that cannot be used; names file and line. */
export class InfoFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InfoFileError";
  }
}

/**
 * Splits `host:port`; an IPv6 address must be bracketed (`[::1]:1256`), since
 * its own colons would make the port ambiguous.
 */
export function parseAddress(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text);
  let host: string;
  let portText: string;
  if (bracketed) {
    [, host, portText] = bracketed;
    if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(":")) {
      throw new SyntaxError(`"${host}" in brackets is not an IPv6 address`);
    }
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) throw new SyntaxError(`expected host:port, got "${text}"`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) {
      throw new SyntaxError(
        `IPv6 address must be in brackets, as [${host}]:${portText}`,
      );
    }
    if (!/^[A-Za-z0-9.\-_]+$/.test(host)) {
      throw new SyntaxError(
        host === "" ? "host is empty" : `"${host}" is not a valid host name`,
      );
    }
  }
  if (!/^\d{1,5}$/.test(portText)) {
    throw new SyntaxError(`port "${portText}" is not a number`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    throw new RangeError(`port ${port} is outside 1..65535`);
  }
  return { host, port };
}

/**
 * Parses the text of `transfer.info`: line 1 `host:port`, line 2 the user
 * name, lines 3.. one path each (blank lines are skipped). Surrounding white
 * space and CR line ends are ignored. Two paths with the same base name are
 * refused, since the server would store the second over the first. Whether
 * each file can be backed up (its name, its existence) is checked per file
 * when it is uploaded, so one bad path does not stop the others.
 */
export function parseTransferInfo(
  text: string,
  options: { source?: string; requireFiles?: boolean } = {},
): TransferInfo {
  const source = options.source ?? "transfer.info";
  const fail = (line: number, reason: string): never => {
    throw new InfoFileError(`Cannot read ${source}: line ${line}: ${reason}`);
  };
  const lines = text.split("\n").map((line) => line.trim());
  if (lines.length < 1 || lines[0] === "") fail(1, "expected host:port");
  let address: { host: string; port: number } = { host: "", port: 0 };
  try {
    address = parseAddress(lines[0]);
  } catch (error) {
    fail(1, (error as Error).message);
  }
  const name = lines[1] ?? "";
  const nameProblem = checkUserName(name);
  if (nameProblem) fail(2, nameProblem);
  const files: string[] = [];
  const seen = new Map<string, number>();
  for (let i = 2; i < lines.length; i++) {
    const path = lines[i];
    if (path === "") continue;
    const fileName = basename(path);
    const earlier = seen.get(fileName);
    if (earlier !== undefined) {
      fail(
        i + 1,
        `file name "${fileName}" is also on line ${earlier}; the server keeps one file per name`,
      );
    }
    seen.set(fileName, i + 1);
    files.push(path);
  }
  if (files.length === 0 && options.requireFiles !== false) {
    fail(3, "expected the path of a file to back up");
  }
  return { ...address, name, files };
}

/**
 * Reads and parses `path`; relative file paths in it are resolved against
 * the folder of `transfer.info`, as the classic client run from that folder.
 */
export async function loadTransferInfo(
  path: string,
  options: { requireFiles?: boolean } = {},
): Promise<TransferInfo> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new InfoFileError(`Cannot read ${path}: file not found`);
    }
    throw new InfoFileError(
      `Cannot read ${path}: ${(error as Error).message}`,
    );
  }
  const info = parseTransferInfo(text, { source: path, ...options });
  const base = dirname(resolve(path));
  return { ...info, files: info.files.map((file) => resolve(base, file)) };
}
