/**
 * The server the browser-client tests run against: the real `serve`
 * process (harness.ts), with TCP, the portal and the browser client's API.
 * @module
 */
import { adminPassword, startServer, type TestServer } from "./harness.ts";

/** A server with TCP, the portal and the browser client's API. */
export interface BackupServer {
  process: TestServer;
  tcpPort: number;
  /** Origin of the HTTP side, e.g. "http://127.0.0.1:40123". */
  http: string;
  dataDir: string;
  adminPassword: string;
  stop(): Promise<void>;
}

/** Starts the server process and checks that it serves the JSON API. */
export async function startBackupServer(
  options: { args?: string[] } = {},
): Promise<BackupServer> {
  const server = await startServer({ args: options.args });
  // Whatever fails from here on must not leave the process running.
  try {
    const http = `http://127.0.0.1:${server.httpPort}`;
    const info = await fetch(`${http}/api/v1/info`).catch((error) => error);
    if (!(info instanceof Response) || !info.ok) {
      throw new Error(`The server does not serve /api/v1/info: ${info}`);
    }
    await info.body?.cancel();
    return {
      process: server,
      tcpPort: server.port,
      http,
      dataDir: server.dataDir,
      adminPassword: await adminPassword(server),
      stop: async () => void await server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Writes `size` pseudo-random bytes to `path` in 4 MiB blocks (xorshift). */
export async function writeRandomFile(
  path: string,
  size: number,
  seed = 0x9e3779b9,
): Promise<void> {
  const file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  try {
    const block = new Uint32Array(1024 * 1024);
    let x = seed >>> 0 || 1;
    for (let written = 0; written < size; written += block.byteLength) {
      for (let i = 0; i < block.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        block[i] = x;
      }
      const bytes = new Uint8Array(
        block.buffer,
        0,
        Math.min(block.byteLength, size - written),
      );
      for (let off = 0; off < bytes.length;) {
        off += await file.write(bytes.subarray(off));
      }
    }
  } finally {
    file.close();
  }
}

/** True when two files hold the same bytes (compared in 1 MiB blocks). */
export async function sameFile(a: string, b: string): Promise<boolean> {
  const [fa, fb] = await Promise.all([Deno.open(a), Deno.open(b)]);
  try {
    if ((await fa.stat()).size !== (await fb.stat()).size) return false;
    const ba = new Uint8Array(1024 * 1024);
    const bb = new Uint8Array(1024 * 1024);
    for (;;) {
      const [na, nb] = [await readFull(fa, ba), await readFull(fb, bb)];
      if (na !== nb) return false;
      if (na === 0) return true;
      for (let i = 0; i < na; i++) if (ba[i] !== bb[i]) return false;
    }
  } finally {
    fa.close();
    fb.close();
  }
}

async function readFull(file: Deno.FsFile, buffer: Uint8Array) {
  let filled = 0;
  while (filled < buffer.length) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
}
