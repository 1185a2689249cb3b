import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Database, SPEC_COLUMNS } from "../../server/storage/database.ts";
import { ABANDONED_NAME_GRACE_MS } from "../../server/storage/sqlite/clients.ts";
import { MIGRATIONS } from "../../server/storage/schema.ts";

const NOW = "2025-01-02T03:04:05.000Z";
const LATER = "2025-01-02T04:00:00.000Z";

function id(fill: number): Uint8Array {
  return new Uint8Array(16).fill(fill);
}

/** A fresh directory with the path of a database file that does not exist yet. */
async function tempDbPath(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-db-" });
  return `${dir}/defensive.db`;
}

function pragma(db: DatabaseSync, name: string): unknown {
  const row = db.prepare(`PRAGMA ${name}`).get();
  return row && Object.values(row)[0];
}

function schemaOf(db: DatabaseSync): string[] {
  return db.prepare(
    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name",
  ).all().map((row) => String(row.sql));
}

/** Runs `fn` and returns what it throws, failing when it does not throw. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail("expected an error");
}

Deno.test("Database.open() migrates an empty file to the latest schema with WAL and foreign keys", async () => {
  const db = Database.open(await tempDbPath());
  try {
    assert.equal(pragma(db.handle, "user_version"), MIGRATIONS.length);
    assert.equal(pragma(db.handle, "journal_mode"), "wal");
    assert.equal(pragma(db.handle, "foreign_keys"), 1);
    assert.equal(pragma(db.handle, "busy_timeout"), 5000);
    assert.equal(pragma(db.handle, "synchronous"), 1); // NORMAL
    const tables = db.handle.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    ).all().map((row) => row.name);
    for (
      const table of ["admins", "clients", "files", "settings", "transfers"]
    ) {
      assert.ok(tables.includes(table), `table ${table} is missing`);
    }
  } finally {
    db.close();
  }
});

Deno.test("Database.open() on an up-to-date file changes nothing and keeps the rows", async () => {
  const path = await tempDbPath();
  const first = Database.open(path);
  assert.ok(first.clients.create(id(1), "alice", NOW));
  const schema = schemaOf(first.handle);
  first.close();

  const again = Database.open(path, { busyTimeoutMs: 1234 });
  try {
    assert.equal(pragma(again.handle, "user_version"), MIGRATIONS.length);
    assert.equal(pragma(again.handle, "busy_timeout"), 1234);
    assert.deepEqual(schemaOf(again.handle), schema);
    assert.equal(again.clients.byName("alice")?.createdAt, NOW);
  } finally {
    again.close();
  }
});

Deno.test("Database.open() migrates a file made with only the spec's two tables and keeps its rows", async () => {
  const path = await tempDbPath();
  const tool = new DatabaseSync(path);
  tool.exec(`
    CREATE TABLE clients (ID BLOB(16) PRIMARY KEY, Name VARCHAR(255) UNIQUE NOT NULL,
      PublicKey BLOB(160), LastSeen TEXT, AESKey BLOB(32));
    CREATE TABLE files (ID BLOB(16) NOT NULL REFERENCES clients(ID), FileName VARCHAR(255) NOT NULL,
      PathName VARCHAR(255) NOT NULL, Verified BOOLEAN NOT NULL DEFAULT 0,
      PRIMARY KEY (ID, FileName));`);
  tool.prepare("INSERT INTO clients VALUES (?, ?, ?, ?, ?)").run(
    id(7),
    "legacy",
    new Uint8Array(160).fill(2),
    "2020-01-01 10:00:00",
    new Uint8Array(32).fill(3),
  );
  tool.prepare("INSERT INTO files VALUES (?, ?, ?, ?)").run(
    id(7),
    "old.txt",
    "received_files/old.txt",
    1,
  );
  tool.close();

  const db = Database.open(path);
  try {
    assert.equal(pragma(db.handle, "user_version"), MIGRATIONS.length);
    assert.deepEqual(db.clients.byName("legacy"), {
      id: id(7),
      name: "legacy",
      publicKey: new Uint8Array(160).fill(2),
      lastSeen: "2020-01-01 10:00:00",
      aesKey: new Uint8Array(32).fill(3),
      createdAt: null,
      rekeyUntil: null,
    });
    assert.deepEqual(db.files.of(id(7), "old.txt"), {
      clientId: id(7),
      fileName: "old.txt",
      pathName: "received_files/old.txt",
      verified: true,
      size: null,
      checksum: null,
      storedAt: null,
    });
    const transfer = db.transfers.start({
      clientId: id(7),
      fileName: "old.txt",
      transport: "tcp",
      size: 10,
      attempt: 1,
    }, NOW);
    assert.ok(transfer > 0);
  } finally {
    db.close();
  }
});

Deno.test("Database.open() refuses spec tables that are incomplete and leaves the file unchanged", async () => {
  const cases = [
    {
      sql:
        `CREATE TABLE clients (ID BLOB(16) PRIMARY KEY, Name VARCHAR(255) UNIQUE NOT NULL,
        PublicKey BLOB(160), LastSeen TEXT, AESKey BLOB(32))`,
      reason: /: table files is missing/,
    },
    {
      sql: `CREATE TABLE clients (ID BLOB(16) PRIMARY KEY, Name TEXT);
        CREATE TABLE files (ID BLOB, FileName TEXT, PathName TEXT, Verified INTEGER)`,
      reason: /: table clients lacks columns PublicKey, LastSeen, AESKey$/,
    },
  ];
  for (const { sql, reason } of cases) {
    const path = await tempDbPath();
    const tool = new DatabaseSync(path);
    tool.exec(sql);
    const schema = schemaOf(tool);
    tool.close();
    const error = thrown(() => Database.open(path));
    assert.match(error.message, /^Cannot open database /);
    assert.match(error.message, reason);
    const check = new DatabaseSync(path);
    assert.equal(pragma(check, "user_version"), 0);
    assert.deepEqual(schemaOf(check), schema);
    check.close();
  }
});

Deno.test("Database.open() refuses a schema newer than this server's", async () => {
  const path = await tempDbPath();
  Database.open(path).close();
  const tool = new DatabaseSync(path);
  tool.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
  tool.close();
  assert.match(
    thrown(() => Database.open(path)).message,
    /^Cannot open database .*: schema version \d+ is newer/,
  );
});

Deno.test("Database.open() reports a path it cannot open, naming the action", () => {
  const error = thrown(() => Database.open("/nonexistent-dir/x/defensive.db"));
  assert.match(error.message, /^Cannot open database \/nonexistent-dir/);
  assert.ok(error.cause instanceof Error);
});

Deno.test("the clients and files tables keep the exact columns of the spec", async () => {
  const db = Database.open(await tempDbPath());
  try {
    const columns = (table: string) =>
      db.handle.prepare(`PRAGMA table_info(${table})`).all()
        .map((c) => [c.name, c.type, c.notnull, c.pk]);
    assert.deepEqual(columns("clients").slice(0, 5), [
      ["ID", "BLOB(16)", 0, 1],
      ["Name", "VARCHAR(255)", 1, 0],
      ["PublicKey", "BLOB(160)", 0, 0],
      ["LastSeen", "TEXT", 0, 0],
      ["AESKey", "BLOB(32)", 0, 0],
    ]);
    assert.deepEqual(columns("files").slice(0, 4), [
      ["ID", "BLOB(16)", 1, 1],
      ["FileName", "VARCHAR(255)", 1, 2],
      ["PathName", "VARCHAR(255)", 1, 0],
      ["Verified", "BOOLEAN", 1, 0],
    ]);
    assert.deepEqual(
      columns("clients").slice(0, 5).map((c) => c[0]),
      [...SPEC_COLUMNS.clients],
    );
    const fks = db.handle.prepare("PRAGMA foreign_key_list(files)").all();
    assert.deepEqual(fks.map((fk) => [fk.table, fk.from, fk.to]), [[
      "clients",
      "ID",
      "ID",
    ]]);
  } finally {
    db.close();
  }
});

Deno.test("createClient() returns false for a taken name and keeps the first client", async () => {
  const db = Database.open(await tempDbPath());
  try {
    assert.equal(db.clients.create(id(1), "alice", NOW), true);
    db.clients.setKeys(id(1), {
      publicKey: new Uint8Array(160),
      aesKey: new Uint8Array(32),
    }, NOW);
    assert.equal(db.clients.create(id(2), "alice", LATER), false);
    assert.equal(db.clients.byId(id(2)), undefined);
    assert.deepEqual(db.clients.byName("alice")?.id, id(1));
    assert.equal(db.clients.create(id(3), "Alice", NOW), true);
    assert.throws(
      () => db.clients.create(new Uint8Array(15), "bob", NOW),
      RangeError,
    );
    const error = thrown(() => db.clients.create(id(1), "carol", NOW));
    assert.match(error.message, /^Cannot create client: UNIQUE constraint/);
  } finally {
    db.close();
  }
});

Deno.test("createClient() takes over a name whose registration was abandoned before any key or file, once its grace period is over", async () => {
  const db = Database.open(await tempDbPath());
  try {
    assert.equal(db.clients.create(id(1), "abandoned", NOW), true);
    // Between 1600 and 1026 the name is not free: a stranger would take it.
    const soon = new Date(Date.parse(NOW) + ABANDONED_NAME_GRACE_MS - 1000);
    assert.equal(
      db.clients.create(id(2), "abandoned", soon.toISOString()),
      false,
    );
    assert.deepEqual(db.clients.byName("abandoned")?.id, id(1));
    assert.equal(db.clients.create(id(2), "abandoned", LATER), true);
    assert.equal(db.clients.byId(id(1)), undefined);
    assert.deepEqual(db.clients.byName("abandoned")?.id, id(2));
    // A keyless client that stored files (its key was revoked) keeps its name.
    assert.equal(db.clients.create(id(3), "revoked", NOW), true);
    db.files.recordVerified({
      clientId: id(3),
      fileName: "a.txt",
      pathName: "/x/a.txt",
      size: 1,
      checksum: 2,
    }, NOW);
    assert.equal(db.clients.create(id(4), "revoked", LATER), false);
  } finally {
    db.close();
  }
});

Deno.test("client records round-trip through create, keys and touch", async () => {
  const db = Database.open(await tempDbPath());
  try {
    db.clients.create(id(1), "alice", NOW);
    assert.deepEqual(db.clients.byId(id(1)), {
      id: id(1),
      name: "alice",
      publicKey: null,
      lastSeen: NOW,
      aesKey: null,
      createdAt: NOW,
      rekeyUntil: null,
    });
    const publicKey = new Uint8Array(160).fill(9);
    db.clients.setKeys(
      id(1),
      { publicKey, aesKey: new Uint8Array(32).fill(1) },
      LATER,
    );
    // A reconnect brings a new AES key and keeps the stored public key.
    const third = "2025-01-03T00:00:00.000Z";
    db.clients.setKeys(id(1), { aesKey: new Uint8Array(32).fill(2) }, third);
    assert.deepEqual(db.clients.byName("alice"), {
      id: id(1),
      name: "alice",
      publicKey,
      lastSeen: third,
      aesKey: new Uint8Array(32).fill(2),
      createdAt: NOW,
      rekeyUntil: null,
    });
    db.clients.touch(id(1), "2025-02-01T00:00:00.000Z");
    assert.equal(db.clients.byId(id(1))?.lastSeen, "2025-02-01T00:00:00.000Z");
    db.clients.touch(id(5), NOW); // a client deleted meanwhile: no error
    assert.equal(db.clients.byId(id(5)), undefined);
    assert.equal(db.clients.byName("nobody"), undefined);
    assert.match(
      thrown(() =>
        db.clients.setKeys(id(5), { aesKey: new Uint8Array(32) }, NOW)
      )
        .message,
      /^Cannot store keys: the client does not exist/,
    );
  } finally {
    db.close();
  }
});

Deno.test("recordVerifiedFile() inserts, then replaces the row of the same name", async () => {
  const db = Database.open(await tempDbPath());
  try {
    db.clients.create(id(1), "alice", NOW);
    const file = {
      clientId: id(1),
      fileName: "a.txt",
      pathName: "/data/received_files/0101/a.txt",
      size: 10,
      checksum: 0xffffffff,
    };
    assert.equal(db.files.of(id(1), "a.txt"), undefined);
    db.files.recordVerified(file, NOW);
    assert.deepEqual(db.files.of(id(1), "a.txt"), {
      clientId: id(1),
      fileName: "a.txt",
      pathName: file.pathName,
      verified: true,
      size: 10,
      checksum: 0xffffffff,
      storedAt: NOW,
    });
    db.files.recordVerified(
      { ...file, size: 4_000_000_000, checksum: 7 },
      LATER,
    );
    const again = db.files.of(id(1), "a.txt");
    assert.equal(again?.size, 4_000_000_000);
    assert.equal(again?.checksum, 7);
    assert.equal(again?.storedAt, LATER);
    const count = db.handle.prepare("SELECT count(*) AS n FROM files").get();
    assert.equal(count?.n, 1);
  } finally {
    db.close();
  }
});

Deno.test("recordVerifiedFile() for an unknown client fails with a message naming the action", async () => {
  const db = Database.open(await tempDbPath());
  try {
    const error = thrown(() =>
      db.files.recordVerified({
        clientId: id(9),
        fileName: "a.txt",
        pathName: "p",
        size: 1,
        checksum: 1,
      }, NOW)
    );
    assert.equal(
      error.message,
      "Cannot record verified file: FOREIGN KEY constraint failed",
    );
    assert.ok(error.cause instanceof Error);
  } finally {
    db.close();
  }
});

Deno.test("transfers round-trip through start, progress, retry and finish", async () => {
  const db = Database.open(await tempDbPath());
  try {
    const start = {
      clientId: id(1),
      fileName: "a.txt",
      transport: "http" as const,
      size: 4096,
      attempt: 1,
    };
    const first = db.transfers.start(start, NOW);
    const second = db.transfers.start({ ...start, transport: "tcp" }, NOW);
    assert.ok(second > first);
    db.transfers.progress(first, 1024);
    db.transfers.retry(first);
    db.transfers.progress(first, 2048);
    db.transfers.finish(
      first,
      { outcome: "verified", bytes: 4096, checksum: 42 },
      LATER,
    );
    // A closed transfer keeps its first outcome.
    db.transfers.finish(
      first,
      { outcome: "failed", bytes: 1, error: "late" },
      LATER,
    );
    db.transfers.progress(first, 5);
    db.transfers.finish(
      second,
      { outcome: "aborted", bytes: 0, error: "gone" },
      LATER,
    );
    const rows = db.handle.prepare(
      `SELECT TransferID, ClientID, FileName, Transport, StartedAt, FinishedAt,
       Outcome, Bytes, Size, Checksum, Attempts, Error FROM transfers ORDER BY TransferID`,
    ).all();
    assert.deepEqual(rows.map((row) => ({ ...row })), [{
      TransferID: first,
      ClientID: id(1),
      FileName: "a.txt",
      Transport: "http",
      StartedAt: NOW,
      FinishedAt: LATER,
      Outcome: "verified",
      Bytes: 4096,
      Size: 4096,
      Checksum: 42,
      Attempts: 2,
      Error: null,
    }, {
      TransferID: second,
      ClientID: id(1),
      FileName: "a.txt",
      Transport: "tcp",
      StartedAt: NOW,
      FinishedAt: LATER,
      Outcome: "aborted",
      Bytes: 0,
      Size: 4096,
      Checksum: null,
      Attempts: 1,
      Error: "gone",
    }]);
  } finally {
    db.close();
  }
});

Deno.test("interruptUnfinishedTransfers() marks only running transfers and counts them", async () => {
  const path = await tempDbPath();
  const before = Database.open(path);
  const start = {
    clientId: id(1),
    fileName: "a",
    transport: "tcp" as const,
    size: 1,
    attempt: 1,
  };
  const running = [
    before.transfers.start(start, NOW),
    before.transfers.start(start, NOW),
  ];
  const done = before.transfers.start(start, NOW);
  before.transfers.finish(done, { outcome: "verified", bytes: 1 }, NOW);
  before.close(); // the process "dies" with two transfers running

  const db = Database.open(path);
  try {
    assert.equal(db.transfers.interruptUnfinished(LATER), 2);
    assert.equal(db.transfers.interruptUnfinished(LATER), 0);
    const outcomes = db.handle.prepare(
      "SELECT TransferID, Outcome, FinishedAt FROM transfers ORDER BY TransferID",
    ).all().map((row) => [row.TransferID, row.Outcome, row.FinishedAt]);
    assert.deepEqual(outcomes, [
      [running[0], "interrupted", LATER],
      [running[1], "interrupted", LATER],
      [done, "verified", NOW],
    ]);
  } finally {
    db.close();
  }
});

Deno.test("transaction() commits, rolls back on throw, and nests as savepoints", async () => {
  const db = Database.open(await tempDbPath());
  try {
    assert.equal(
      db.transaction(() => db.clients.create(id(1), "a", NOW)),
      true,
    );
    assert.throws(() =>
      db.transaction(() => {
        db.clients.create(id(2), "b", NOW);
        throw new Error("boom");
      }), /boom/);
    assert.equal(db.clients.byId(id(2)), undefined);
    db.transaction(() => {
      db.clients.create(id(3), "c", NOW);
      assert.throws(() =>
        db.transaction(() => {
          db.clients.create(id(4), "d", NOW);
          throw new Error("inner");
        }), /inner/);
    });
    assert.ok(db.clients.byId(id(3)));
    assert.equal(db.clients.byId(id(4)), undefined);
    assert.throws(
      () =>
        db.transaction(() =>
          Promise.resolve(db.clients.create(id(5), "e", NOW))
        ),
      TypeError,
    );
    assert.equal(db.clients.byId(id(5)), undefined);
    assert.equal(db.handle.isTransaction, false);
  } finally {
    db.close();
  }
});

Deno.test("a write blocked past the busy timeout fails with 'database is locked' and its cause", async () => {
  const path = await tempDbPath();
  const holder = Database.open(path);
  const waiter = Database.open(path, { busyTimeoutMs: 100 });
  try {
    holder.handle.exec("BEGIN IMMEDIATE");
    const started = performance.now();
    const error = thrown(() =>
      waiter.files.recordVerified({
        clientId: id(1),
        fileName: "a",
        pathName: "p",
        size: 1,
        checksum: 1,
      }, NOW)
    );
    const waited = performance.now() - started;
    assert.equal(
      error.message,
      "Cannot record verified file: database is locked",
    );
    assert.equal((error.cause as { errcode?: number }).errcode, 5); // SQLITE_BUSY
    assert.ok(waited >= 90, `gave up after ${waited} ms`);
    // Readers are never blocked by a writer in WAL mode.
    assert.equal(waiter.clients.byId(id(1)), undefined);
    holder.handle.exec("ROLLBACK");
    assert.equal(waiter.clients.create(id(1), "a", NOW), true);
  } finally {
    holder.close();
    waiter.close();
  }
});

Deno.test("a read-only database reads but refuses writes with a named action", async () => {
  const path = await tempDbPath();
  const writer = Database.open(path);
  writer.clients.create(id(1), "alice", NOW);
  const reader = Database.open(path, { readOnly: true });
  try {
    assert.equal(reader.clients.byName("alice")?.createdAt, NOW);
    assert.match(
      thrown(() => reader.clients.create(id(2), "bob", NOW)).message,
      /^Cannot create client: attempt to write a readonly database/,
    );
  } finally {
    reader.close();
    writer.close();
  }
});

Deno.test("close() is idempotent and later calls fail with a named action", async () => {
  const db = Database.open(await tempDbPath());
  db.close();
  db.close();
  assert.match(
    thrown(() => db.clients.byId(id(1))).message,
    /^Cannot read client: /,
  );
});

Deno.test("forgetSessionKey() clears only the key it is given, forgetSessionKeys() every one", async () => {
  const db = Database.open(await tempDbPath());
  try {
    const key = (fill: number) => new Uint8Array(32).fill(fill);
    for (const n of [1, 2]) {
      db.clients.create(id(n), `c${n}`, NOW);
      db.clients.setKeys(
        id(n),
        { publicKey: new Uint8Array(160), aesKey: key(n) },
        NOW,
      );
    }
    // A newer session's key stays when an older session ends.
    db.clients.forgetSessionKey(id(1), key(9));
    assert.deepEqual(db.clients.byId(id(1))?.aesKey, key(1));
    db.clients.forgetSessionKey(id(1), key(1));
    assert.equal(db.clients.byId(id(1))?.aesKey, null);
    assert.equal(db.clients.forgetSessionKeys(), 1);
    assert.equal(db.clients.byId(id(2))?.aesKey, null);
  } finally {
    db.close();
  }
});

Deno.test("the query planner gets statistics of what was written, at open and from optimize()", async () => {
  const path = await tempDbPath();
  const stats = (db: Database) =>
    new Set(
      db.handle.prepare("SELECT tbl FROM sqlite_stat1").all().map((row) =>
        String(row.tbl)
      ),
    );
  const fill = (db: Database, table: "clients" | "transfers", from: number) =>
    db.transaction(() => {
      for (let i = from; i < from + 200; i++) {
        if (table === "clients") {
          db.clients.create(
            id(0).fill(i, 0, 1).fill(i >> 8, 1, 2),
            `c${i}`,
            NOW,
          );
        } else {db.transfers.start({
            clientId: id(1),
            fileName: `f${i}`,
            transport: "tcp",
            size: 1,
            attempt: 1,
          }, NOW);}
      }
    });
  let db = Database.open(path);
  try {
    fill(db, "clients", 0);
    db.close();
    // A restart finds the rows a previous run wrote.
    db = Database.open(path);
    assert.ok(stats(db).has("clients"), [...stats(db)].join());
    // A server that runs for long refreshes them as tables grow.
    fill(db, "transfers", 0);
    assert.ok(!stats(db).has("transfers"));
    db.optimize();
    assert.ok(stats(db).has("transfers"), [...stats(db)].join());
  } finally {
    db.close();
    await Deno.remove(path.replace(/\/[^/]+$/, ""), { recursive: true });
  }
});
