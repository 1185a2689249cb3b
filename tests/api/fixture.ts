/**
 * The JSON API on a real HTTP server on 127.0.0.1 (a free port) over a
 * temporary database and file store, and a small client that speaks it
 * the way a browser does, for the API tests.
 * @module
 */
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { decryptKey, generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import {
  type BackupApi,
  createBackupApi,
  keyProof,
} from "../../server/api/mod.ts";
import { toBase64 } from "../../shared/encoding.ts";
import type { SessionRegistryOptions } from "../../server/api/sessions.ts";
import type { SessionContext } from "../../server/session/context.ts";
import type { ServerEvent } from "../../server/stats/events.ts";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import { createApp } from "../../server/portal/app.ts";
import { LogBuffer } from "../../server/stats/log_buffer.ts";
import { Stats } from "../../server/stats/stats.ts";
import { testConfig } from "../portal/fixture.ts";

/** A running API and what it writes to. */
export interface ApiFixture {
  url: string;
  db: Database;
  store: FileStore;
  api: BackupApi;
  events: ServerEvent[];
  dir: string;
  close(): Promise<void>;
}

/** Starts the API; options reach the session registry and the context. */
export async function startApi(
  options: {
    sessions?: SessionRegistryOptions;
    maxFileBytes?: number;
    maxPacketBytes?: number;
    oaepHash?: "sha1" | "sha256";
    bodyIdleMs?: number;
    trustedProxy?: string;
    busyTimeoutMs?: number;
  } = {},
): Promise<ApiFixture> {
  const dir = await Deno.makeTempDir({ prefix: "cb-api-" });
  const db = Database.open(`${dir}/defensive.db`, {
    busyTimeoutMs: options.busyTimeoutMs,
  });
  const store = new FileStore(`${dir}/received_files`);
  const events: ServerEvent[] = [];
  const ctx: SessionContext = {
    db,
    store,
    events: (event) => events.push(event),
    oaepHash: options.oaepHash ?? "sha1",
    maxFileBytes: options.maxFileBytes ?? 0xffff_ffff - 16,
    transport: "tcp", // createBackupApi must make it "http"
  };
  const api = createBackupApi({
    ctx,
    maxPacketBytes: options.maxPacketBytes ?? 1024 * 1024 + 267,
    sessions: options.sessions,
    bodyIdleMs: options.bodyIdleMs,
    trustedProxy: options.trustedProxy,
  });
  // Served as server/serve.ts serves it: through the portal's routes/api/v1/.
  const app = createApp({
    db,
    store,
    stats: new Stats({
      maxConnections: () => 100,
      stored: () => db.status.counts(),
    }),
    logs: new LogBuffer(),
    config: { ...testConfig(dir), trustedProxy: options.trustedProxy },
    limits: {
      get: () => ({ maxConnections: 100, idleTimeoutMs: 60_000 }),
      set: () => {},
    },
    health: () => ({ tcp: true, database: true }),
    version: "0.1.0-test",
    backupApi: api,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request, info) => app.fetch(request, info),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/api/v1`,
    db,
    store,
    api,
    events,
    dir,
    async close() {
      await server.shutdown();
      await api.close();
      db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Calls the API and returns status and parsed JSON. */
export async function call(
  url: string,
  init: RequestInit & { token?: string; json?: unknown } = {},
): Promise<
  { status: number; body: Record<string, unknown>; headers: Headers }
> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const response = await fetch(url, {
    ...init,
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : {},
    headers: response.headers,
  };
}

/** A registered, keyed client of the API. */
export interface ApiClient {
  name: string;
  clientId: string;
  token: string;
  aesKey: Uint8Array;
  privateKey: Uint8Array;
}

/** Registers `name` and exchanges keys with a new exponent-17 key pair. */
export async function registerClient(
  url: string,
  name: string,
): Promise<ApiClient> {
  const registered = await call(`${url}/register`, { json: { name } });
  if (registered.status !== 201) {
    throw new Error(`Register failed: ${JSON.stringify(registered.body)}`);
  }
  const token = registered.body.token as string;
  const keys = generateKeyPair();
  const keyed = await call(`${url}/key`, {
    token,
    json: { publicKey: toBase64(keys.publicKey) },
  });
  if (keyed.status !== 200) {
    throw new Error(`Key exchange failed: ${JSON.stringify(keyed.body)}`);
  }
  const encrypted = Uint8Array.from(
    atob(keyed.body.encryptedKey as string),
    (c) => c.charCodeAt(0),
  );
  return {
    name,
    clientId: registered.body.clientId as string,
    token,
    aesKey: decryptKey(keys.privateKey, encrypted),
    privateKey: keys.privateKey,
  };
}

/** Posts one packet of ciphertext. */
export function sendPacket(
  url: string,
  client: { token: string },
  fields: {
    file: string;
    packet: number;
    total: number;
    size: number;
    content: Uint8Array<ArrayBuffer>;
    extra?: Record<string, string>;
  },
) {
  const query = new URLSearchParams({
    file: fields.file,
    packet: String(fields.packet),
    total: String(fields.total),
    size: String(fields.size),
    ...fields.extra,
  });
  return call(`${url}/packet?${query}`, {
    token: client.token,
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: fields.content,
  });
}

/**
 * Encrypts `data` and sends it in packets of `packetSize` ciphertext bytes;
 * returns the answer to the last packet.
 */
export async function uploadData(
  url: string,
  client: ApiClient,
  file: string,
  data: Uint8Array,
  packetSize = 64 * 1024,
) {
  const cipher = encrypt(client.aesKey, data) as Uint8Array<ArrayBuffer>;
  const total = Math.max(1, Math.ceil(cipher.length / packetSize));
  let answer;
  for (let i = 0; i < total; i++) {
    answer = await sendPacket(url, client, {
      file,
      packet: i + 1,
      total,
      size: data.length,
      content: cipher.slice(i * packetSize, (i + 1) * packetSize),
    });
    if (i < total - 1 && answer.status !== 202) return answer;
  }
  return answer!;
}

/** Uploads and verifies; returns the server's checksum. */
export async function backUp(
  url: string,
  client: ApiClient,
  file: string,
  data: Uint8Array,
): Promise<number> {
  const received = await uploadData(url, client, file, data);
  if (received.status !== 200 || received.body.checksum !== cksum(data)) {
    throw new Error(`Upload failed: ${JSON.stringify(received.body)}`);
  }
  const ok = await call(`${url}/checksum/ok`, {
    token: client.token,
    json: { fileName: file },
  });
  if (ok.status !== 200) {
    throw new Error(`OK failed: ${JSON.stringify(ok.body)}`);
  }
  return received.body.checksum as number;
}

/** The `X-Key-Proof` header of a client's session. */
export function proofOf(client: ApiClient): string {
  return keyProof(client.aesKey, client.token);
}

/** Random bytes of any length (getRandomValues gives at most 64 KiB at once). */
export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
  }
  return bytes;
}

/** 16 bytes of a hex client id. */
export function idBytes(hex: string): Uint8Array {
  return Uint8Array.from(
    { length: 16 },
    (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16),
  );
}
