/**
 * A portal wired to a temporary database and file store, plus a cookie-keeping
 * client for `app.request`. Shared by the portal tests and the browser tests.
 * @module
 */
import type { OpsRuntime } from "../../server/ops/runtime.ts";
import type { DatabaseSync } from "node:sqlite";
import type { Hono } from "hono";
import type { RuntimeLimitValues, ServerConfig } from "../../server/config.ts";
import { type AppOptions, createApp } from "../../server/portal/app.ts";
import { hashPasswordSync } from "../../server/portal/auth/password.ts";
import {
  type SessionLifetime,
  SessionStore,
} from "../../server/portal/auth/sessions.ts";
import type { PortalDeps } from "../../server/portal/deps.ts";
import { toHex } from "../../shared/encoding.ts";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import { LogBuffer } from "../../server/stats/log_buffer.ts";
import { Stats } from "../../server/stats/stats.ts";

export const PASSWORD = "correct horse battery staple";
/** Cheap scrypt for tests; production uses DEFAULT_COST. */
export const TEST_COST = { N: 1024, r: 8, p: 1 };

/** Opens a database with the server's own migrations; returns its SQLite handle. */
export function openTestDatabase(path: string): DatabaseSync {
  return Database.open(path).handle;
}

/** The server's file store, plus a way to put a stored copy in place for tests. */
export class TestFileStore extends FileStore {
  async put(
    clientId: Uint8Array,
    fileName: string,
    data: Uint8Array,
  ): Promise<void> {
    const path = this.pathOf(clientId, fileName);
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(path, data);
  }
}

/** Everything a portal test needs; `close()` removes it all. */
export interface Fixture {
  app: Hono;
  deps: PortalDeps;
  db: DatabaseSync;
  store: TestFileStore;
  stats: Stats;
  logs: LogBuffer;
  limits: RuntimeLimitValues;
  healthState: { tcp: boolean; database: boolean };
  dir: string;
  close(): Promise<void>;
}

/** A test configuration rooted at `dir`. */
export function testConfig(dir: string): ServerConfig {
  return {
    dataDir: dir,
    port: 1256,
    portSource: "default",
    host: "0.0.0.0",
    httpHost: "127.0.0.1",
    httpPort: 9090,
    workers: 2,
    maxPacketBytes: 16 * 1024 * 1024,
    maxFileBytes: 4 * 1024 ** 3,
    oaepHash: "sha1",
    logLevel: "info",
    shutdownGraceMs: 10_000,
    maxConnections: 100,
    idleTimeoutMs: 60_000,
    trashDays: 7,
    maintenanceIntervalMs: 0,
  } as ServerConfig;
}

/** Builds a portal over a fresh temporary database with user "admin" / {@link PASSWORD}. */
export async function makeFixture(
  options: AppOptions & {
    metricsToken?: string;
    /** Fills the database before the portal starts; `database` is the server's own API. */
    seed?: (db: DatabaseSync, database: Database) => void;
    /** The operations side (client health, alerts) the server would run, over the database. */
    ops?: (database: Database) => OpsRuntime;
    now?: () => number;
    /** Options on top of {@link testConfig} (trusted proxies, public names). */
    config?: Partial<ServerConfig>;
    /** Session lifetime (default: the production one). */
    sessionLifetime?: SessionLifetime;
  } = {},
): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-portal-" });
  const database = Database.open(`${dir}/defensive.db`);
  const db = database.handle;
  database.admins.setHash("admin", hashPasswordSync(PASSWORD, TEST_COST));
  options.seed?.(db, database);
  const store = new TestFileStore(`${dir}/received_files`);
  const limits: RuntimeLimitValues = {
    maxConnections: 100,
    idleTimeoutMs: 60_000,
  };
  // Wired as server/serve.ts wires it.
  const stats = new Stats({
    maxConnections: () => limits.maxConnections,
    now: options.now,
    stored: () => database.status.counts(),
    recent: database.transfers.list({ pageSize: 20 }).rows,
  });
  const logs = new LogBuffer();
  const healthState = { tcp: true, database: true };
  const deps: PortalDeps = {
    db: database,
    store,
    stats,
    logs,
    config: { ...testConfig(dir), ...options.config },
    limits: {
      get: () => ({ ...limits }),
      set: (values) => Object.assign(limits, values),
    },
    health: () => ({ ...healthState }),
    version: "0.1.0-test",
    metricsToken: options.metricsToken,
    ops: options.ops?.(database),
  };
  const app = createApp(deps, {
    ...options,
    auth: {
      cost: TEST_COST,
      sessions: options.sessionLifetime &&
        new SessionStore(database.portalSessions, {
          lifetime: options.sessionLifetime,
        }),
      ...options.auth,
    },
  });
  return {
    app,
    deps,
    db,
    store,
    stats,
    logs,
    limits,
    healthState,
    dir,
    async close() {
      database.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A client for `app.request` that keeps cookies like a browser and comes from one address. */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  constructor(readonly app: Hono, readonly address = "192.0.2.10") {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set(
        "cookie",
        [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      );
    }
    const response = await this.app.request(path, { ...init, headers }, {
      remoteAddr: { hostname: this.address, port: 40000, transport: "tcp" },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const [name, ...rest] = pair.split("=");
      const value = rest.join("=");
      const expired = attributes.some((a) => /max-age=0/i.test(a.trim())) ||
        value === "";
      if (expired) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
    return response;
  }

  /** Posts a URL-encoded form. */
  post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return this.request(path, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...headers,
      },
      body: new URLSearchParams(fields),
    });
  }

  /** Fetches the sign-in form and submits it; returns the final response of the POST. */
  async signIn(password = PASSWORD, user = "admin"): Promise<Response> {
    const form = await this.request("/login");
    const token = hiddenField(await form.text(), "_csrf");
    return this.post("/login", { _csrf: token, user, password, next: "/" });
  }

  /** The CSRF token of the signed-in session, read from a page's sign-out form. */
  async csrf(): Promise<string> {
    const page = await this.request("/settings");
    return hiddenField(await page.text(), "_csrf");
  }
}

/** A {@link TestBrowser} on the fixture's portal, signed in as "admin". */
export async function signedIn(f: Fixture): Promise<TestBrowser> {
  const browser = new TestBrowser(f.app);
  await browser.signIn();
  return browser;
}

/** The value of a hidden input in an HTML page. */
export function hiddenField(html: string, name: string): string {
  const match = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!match) throw new Error(`Cannot find hidden field ${name}`);
  return match[1];
}

/** Inserts a client row; returns its id. */
export function addClient(
  db: DatabaseSync,
  name: string,
  options: { lastSeen?: string; key?: boolean } = {},
): Uint8Array {
  const id = crypto.getRandomValues(new Uint8Array(16));
  db.prepare(
    "INSERT INTO clients (ID, Name, PublicKey, LastSeen, CreatedAt) VALUES (?, ?, ?, ?, ?)",
  ).run(
    id,
    name,
    options.key === false ? null : new Uint8Array(160),
    options.lastSeen ?? new Date().toISOString(),
    new Date().toISOString(),
  );
  return id;
}

/** Inserts a file row. */
export function addFile(
  db: DatabaseSync,
  client: Uint8Array,
  name: string,
  options: { verified?: boolean; size?: number; storedAt?: string } = {},
): void {
  db.prepare(
    "INSERT INTO files (ID, FileName, PathName, Verified, Size, Checksum, StoredAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ).run(
    client,
    name,
    `received_files/${toHex(client)}/${name}`,
    options.verified === false ? 0 : 1,
    options.size ?? 1234,
    987654321,
    options.storedAt ?? new Date().toISOString(),
  );
}
