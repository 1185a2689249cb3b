/**
 * The server process for long runs: like tests/e2e/harness.ts startServer(),
 * but it keeps only the tail of the output (a million warnings would not fit
 * in memory) and counts error-level lines, and it works at any log level.
 * @module
 */
import { serveArgs, signalAndWait } from "../e2e/harness.ts";

const TAIL_BYTES = 64 * 1024;

/** A server process under a long test. */
export interface SoakServer {
  port: number;
  httpPort: number;
  dataDir: string;
  pid: number;
  child: Deno.ChildProcess;
  /** The last 64 KiB of output. */
  tail(): string;
  /** Lines logged at error or fatal level (ERR / FTL) that no `expectedErrors` pattern matches; the first 1,000. */
  errorLines(): string[];
  /** How many lines were logged at error or fatal level, expected or not. */
  errorCount(): number;
  stop(): Promise<Deno.CommandStatus>;
  kill(): Promise<Deno.CommandStatus>;
}

/** A port that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function reachable(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** Starts `main.ts serve` on loopback with picked ports and waits until both answer. */
export async function startSoakServer(
  options: {
    dataDir?: string;
    args?: string[];
    /** A prefix for the command line, e.g. `unshare -rm ...`. */
    command?: string[];
    /** Error lines that are part of the test (e.g. security violations). */
    expectedErrors?: RegExp[];
  } = {},
): Promise<SoakServer> {
  const dataDir = options.dataDir ??
    await Deno.makeTempDir({ prefix: "cb-soak-" });
  const port = freePort();
  const httpPort = freePort();
  const serve = [
    Deno.execPath(),
    ...serveArgs(dataDir, { port, httpPort }),
    ...(options.args ?? []),
  ];
  const [program, ...args] = [...(options.command ?? []), ...serve];
  const child = new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let tail = "";
  const errors: string[] = [];
  let errorCount = 0;
  const expected = options.expectedErrors ?? [];
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let partial = "";
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      tail = (tail + text).slice(-TAIL_BYTES);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (!/\[(ERR|FTL)\]/.test(line)) continue;
        errorCount++;
        if (expected.some((re) => re.test(line))) continue;
        if (errors.length < 1000) errors.push(line);
      }
    }
  };
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 30_000;
  while (!(await reachable(port) && await reachable(httpPort))) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill("SIGKILL");
      await child.status;
      await collected;
      throw new Error(`Server did not start:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const wait = (signal: Deno.Signal) => signalAndWait(child, signal, collected);
  return {
    port,
    httpPort,
    dataDir,
    pid: child.pid,
    child,
    tail: () => tail,
    errorLines: () => errors,
    errorCount: () => errorCount,
    stop: () => wait("SIGTERM"),
    kill: () => wait("SIGKILL"),
  };
}
