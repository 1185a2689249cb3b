/**
 * Test harness for end-to-end tests: the server as a real process on
 * loopback, started the way the README starts it, and a raw protocol client.
 * @module
 */
import { ExactReader, writeAll } from "../../server/io/exact_reader.ts";
import {
  decodeResponse,
  decodeResponseHeader,
  encodeRequest,
  MAX_RESPONSE_PAYLOAD,
  type OutgoingRequest,
} from "../../server/protocol/client_codec.ts";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { decryptKey, generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import {
  RequestCode,
  ResponseCode,
  Size,
} from "../../server/protocol/constants.ts";
import type { Response } from "../../server/protocol/messages.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A server process under test. */
export interface TestServer {
  port: number;
  /** Port of the HTTP side (portal, JSON API). */
  httpPort: number;
  dataDir: string;
  child: Deno.ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /**
   * Waits until the output matches `pattern` (it arrives a little after the
   * events it reports: workers forward their log records to the main thread).
   */
  waitForOutput(pattern: RegExp): Promise<void>;
  /** SIGTERM, then waits for the exit status. */
  stop(): Promise<Deno.CommandStatus>;
  /** SIGKILL, then waits. */
  kill(): Promise<Deno.CommandStatus>;
}

/**
 * Sends `signal` to a server process (if still running) and resolves with
 * its exit status once it and its output readers (`collected`) are done.
 */
export async function signalAndWait(
  child: Deno.ChildProcess,
  signal: Deno.Signal,
  collected: Promise<unknown>,
): Promise<Deno.CommandStatus> {
  try {
    child.kill(signal);
  } catch { /* already exited */ }
  const status = await child.status;
  await collected;
  return status;
}

/**
 * Arguments for `deno` that run `main.ts serve` on 127.0.0.1 with its data
 * in `dataDir`; a port of 0 (the default) lets the system pick. Every test
 * client comes from 127.0.0.1, so the per-address limits are lifted here;
 * tests of those limits set them again (a later flag wins).
 */
export function serveArgs(
  dataDir: string,
  ports: { port?: number; httpPort?: number } = {},
  main = MAIN,
): string[] {
  return ["run", "--allow-all", main, ...serveCommand(dataDir, ports)];
}

/** serveArgs() without `deno run`: the arguments of the program itself. */
export function serveCommand(
  dataDir: string,
  ports: { port?: number; httpPort?: number } = {},
): string[] {
  return [
    "serve",
    "--data-dir",
    dataDir,
    "--host",
    "127.0.0.1",
    "--port",
    String(ports.port ?? 0),
    "--http-host",
    "127.0.0.1",
    "--http-port",
    String(ports.httpPort ?? 0),
    "--max-per-address",
    "1000000",
    "--register-rate",
    "1000000",
  ];
}

/**
 * Starts `main.ts serve` on 127.0.0.1 with a free TCP port in `dataDir`
 * (a new temporary folder by default) and waits until it listens.
 */
export async function startServer(
  options: {
    dataDir?: string;
    args?: string[];
    timeoutMs?: number;
    /** Shell commands run before the server replaces the shell, e.g. "umask 000". */
    shell?: string;
    /** Added to the inherited environment of the server process. */
    env?: Record<string, string>;
    /** Run with `env` only, not the inherited environment. */
    clearEnv?: boolean;
    /**
     * A cyberbackup executable (packaged or compiled) to run instead of
     * main.ts through deno.
     */
    executable?: string;
    /** Another checkout's main.ts to run through deno (a benchmark's baseline). */
    mainModule?: string;
  } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ??
    await Deno.makeTempDir({ prefix: "cb-e2e-" });
  const args = [
    ...(options.executable
      ? serveCommand(dataDir)
      : serveArgs(dataDir, {}, options.mainModule)),
    "--workers",
    "2",
    ...(options.args ?? []),
  ];
  const program = options.executable ?? Deno.execPath();
  const child = new Deno.Command(options.shell ? "bash" : program, {
    args: options.shell
      ? ["-c", `${options.shell}; exec "$0" "$@"`, program, ...args]
      : args,
    // Run where the data is, not in the repository: assets must be found
    // beside the modules, as in the compiled executable.
    cwd: dataDir,
    env: options.env,
    clearEnv: options.clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
    }
  };
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let exited: Deno.CommandStatus | undefined;
  child.status.then((status) => exited = status);
  let port: number | undefined;
  let httpPort: number | undefined;
  // Both sides announce themselves; the HTTP side a moment after the TCP one.
  while (port === undefined || httpPort === undefined) {
    port =
      Number(/Protocol server listening on [^\s]+:(\d+)/.exec(text)?.[1]) ||
      undefined;
    httpPort =
      Number(/Portal listening on http:\/\/[^\s]+:(\d+)/.exec(text)?.[1]) ||
      undefined;
    if (port && httpPort) break;
    if (exited) {
      await collected;
      throw new Error(
        `Server exited (${exited.code}) before listening:\n${text}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`Server did not start in time. Output:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const wait = (signal: Deno.Signal) => signalAndWait(child, signal, collected);
  return {
    port,
    httpPort,
    dataDir,
    child,
    output: () => text,
    waitForOutput: (pattern) =>
      waitUntil(() => pattern.test(text), `output matching ${pattern}`),
    stop: () => wait("SIGTERM"),
    kill: () => wait("SIGKILL"),
  };
}

/** A protocol client that speaks raw frames, for tests. */
export class RawClient {
  readonly conn: Deno.Conn;
  #reader: ExactReader;

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.#reader = new ExactReader(conn.readable, { bufferSize: 64 * 1024 });
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends raw bytes. */
  write(bytes: Uint8Array): Promise<void> {
    return writeAll(this.conn, bytes);
  }

  /** Sends a request without waiting for an answer. */
  send(request: OutgoingRequest): Promise<void> {
    return this.write(encodeRequest(request));
  }

  /** Reads one response; null when the server closed the connection. */
  async read(): Promise<Response | null> {
    const headerBytes = await this.#reader.read(Size.RESPONSE_HEADER);
    if (!headerBytes) return null;
    const header = decodeResponseHeader(headerBytes);
    if (header.payloadSize > MAX_RESPONSE_PAYLOAD) {
      throw new Error(`Response payload too large: ${header.payloadSize}`);
    }
    const payload = header.payloadSize === 0
      ? new Uint8Array(0)
      : await this.#reader.readRequired(header.payloadSize);
    return decodeResponse(header, payload);
  }

  /** Sends a request and reads its answer. */
  async request(request: OutgoingRequest): Promise<Response | null> {
    await this.send(request);
    return await this.read();
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** A registered client with its session key, on an open connection. */
export interface KeyedClient {
  raw: RawClient;
  clientId: Uint8Array;
  name: string;
  aesKey: Uint8Array;
  privateKey: Uint8Array;
}

/**
 * Registers `name` and exchanges keys (1025 then 1026) on a new connection,
 * with a new key pair unless one is given (load tests reuse a few).
 */
export async function registerClient(
  port: number,
  name: string,
  keys: { publicKey: Uint8Array; privateKey: Uint8Array } = generateKeyPair(),
): Promise<KeyedClient> {
  const raw = await RawClient.connect(port);
  const registered = await raw.request({
    code: RequestCode.REGISTER,
    clientId: new Uint8Array(16),
    name,
  });
  if (registered?.code !== ResponseCode.REGISTER_OK) {
    raw.close();
    throw new Error(`Registration of ${name} failed: ${registered?.code}`);
  }
  const { publicKey, privateKey } = keys;
  const keyed = await raw.request({
    code: RequestCode.SEND_PUBLIC_KEY,
    clientId: registered.clientId,
    name,
    publicKey,
  });
  if (keyed?.code !== ResponseCode.AES_KEY) {
    raw.close();
    throw new Error(`Key exchange of ${name} failed: ${keyed?.code}`);
  }
  return {
    raw,
    clientId: registered.clientId,
    name,
    aesKey: decryptKey(privateKey, keyed.encryptedKey),
    privateKey,
  };
}

/** The encoded 1028 frames of an encrypted upload of `data`. */
export function uploadFrames(
  client: KeyedClient,
  fileName: string,
  data: Uint8Array,
  packetSize = 64 * 1024,
): Uint8Array[] {
  const cipher = encrypt(client.aesKey, data);
  const totalPackets = Math.max(1, Math.ceil(cipher.length / packetSize));
  return Array.from({ length: totalPackets }, (_, i) =>
    encodeRequest({
      code: RequestCode.SEND_FILE,
      clientId: client.clientId,
      contentSize: cipher.length,
      origFileSize: data.length,
      packetNumber: i + 1,
      totalPackets,
      fileName,
      content: cipher.subarray(i * packetSize, (i + 1) * packetSize),
    }));
}

/** Sends encoded frames and returns the server's answer to the last one. */
export async function sendFrames(
  client: KeyedClient,
  frames: Uint8Array[],
): Promise<Response | null> {
  for (const frame of frames) await client.raw.write(frame);
  return await client.raw.read();
}

/**
 * Sends `data` as an encrypted upload in packets of `packetSize` ciphertext
 * bytes and returns the server's answer to the last packet.
 */
export function uploadFile(
  client: KeyedClient,
  fileName: string,
  data: Uint8Array,
  packetSize = 64 * 1024,
): Promise<Response | null> {
  return sendFrames(client, uploadFrames(client, fileName, data, packetSize));
}

/** Sends 1029 (checksum matches) for `fileName`; the answer should be 1604. */
export function confirmChecksum(
  client: KeyedClient,
  fileName: string,
): Promise<Response | null> {
  return client.raw.request({
    code: RequestCode.CRC_OK,
    clientId: client.clientId,
    fileName,
  });
}

/** Polls `done` every 20 ms; fails naming `what` after `timeoutMs`. */
export async function waitUntil(
  done: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The admin password a first start prints, once it has been printed. */
export async function adminPassword(server: TestServer): Promise<string> {
  const printed = /password: (\S+)/;
  await server.waitForOutput(printed);
  return printed.exec(server.output())![1];
}

/** Folder of a client's stored files. */
export function clientDir(server: TestServer, clientId: Uint8Array): string {
  const hex = Array.from(clientId, (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
  return `${server.dataDir}/received_files/${hex}`;
}
