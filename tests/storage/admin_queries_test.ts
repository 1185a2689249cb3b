import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { Database } from "../../server/storage/database.ts";
import { SqliteStatus } from "../../server/storage/sqlite/accounts.ts";
import { SqliteClients } from "../../server/storage/sqlite/clients.ts";
import { SqliteFiles } from "../../server/storage/sqlite/files.ts";
import { SqliteTransfers } from "../../server/storage/sqlite/transfers.ts";
import type { ClientFilter } from "../../server/storage/types.ts";
import { addClient, addFile } from "../portal/fixture.ts";

// The queries over a raw connection, so that a recording proxy can stand in.
const listClients = (
  db: DatabaseSync,
  query?: Parameters<SqliteClients["list"]>[0],
) => new SqliteClients(db, 5000).list(query);
const getClient = (db: DatabaseSync, id: Uint8Array) =>
  new SqliteClients(db, 5000).get(id);
const deleteClientRows = (db: DatabaseSync, id: Uint8Array) =>
  new SqliteClients(db, 5000).delete(id);
const revokeClientKey = (db: DatabaseSync, id: Uint8Array) =>
  new SqliteClients(db, 5000).revokeKey(id);
const listFiles = (
  db: DatabaseSync,
  query?: Parameters<SqliteFiles["list"]>[0],
) => new SqliteFiles(db).list(query);
const listTransfers = (
  db: DatabaseSync,
  query?: Parameters<SqliteTransfers["list"]>[0],
) => new SqliteTransfers(db).list(query);
const countStored = (db: DatabaseSync) => new SqliteStatus(db).counts();

async function withDb(fn: (db: Database) => void) {
  const dir = await Deno.makeTempDir();
  const db = Database.open(`${dir}/defensive.db`);
  try {
    fn(db);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The query plans of every statement `fn` prepares on `handle`. */
function plansOf(
  handle: DatabaseSync,
  fn: (db: DatabaseSync) => void,
): string[] {
  const statements: string[] = [];
  const recorder = new Proxy(handle, {
    get(target, key) {
      if (key !== "prepare") return Reflect.get(target, key).bind(target);
      return (sql: string) => {
        statements.push(sql);
        return target.prepare(sql);
      };
    },
  });
  fn(recorder);
  return statements.map((sql) =>
    handle.prepare(`EXPLAIN QUERY PLAN ${sql}`).all()
      .map((row) => String(row.detail)).join("\n")
  );
}

Deno.test("listClients treats % and _ in a search as plain characters", () =>
  withDb(({ handle }) => {
    addClient(handle, "100%_done");
    addClient(handle, "100 percent");
    addClient(handle, "1000");
    assert.deepEqual(
      listClients(handle, { q: "0%_" }).rows.map((r) => r.name),
      ["100%_done"],
    );
    assert.equal(listClients(handle, { q: "_" }).total, 1);
  }));

Deno.test("listClients pages in a stable order and reports the total", () =>
  withDb(({ handle }) => {
    const seen = "2024-01-01T00:00:00.000Z";
    for (let i = 0; i < 7; i++) addClient(handle, `c${i}`, { lastSeen: seen });
    const pages = [1, 2, 3].map((page) =>
      listClients(handle, { sort: "lastSeen", dir: "desc", page, pageSize: 3 })
    );
    const names = pages.flatMap((p) => p.rows.map((r) => r.name));
    assert.equal(
      new Set(names).size,
      7,
      "equal sort keys still page without repeats",
    );
    assert.deepEqual(pages.map((p) => p.total), [7, 7, 7]);
    assert.deepEqual(listClients(handle, { page: 99, pageSize: 3 }).rows, []);
  }));

Deno.test("listClients counts each client's files, verified files and bytes", () =>
  withDb(({ handle }) => {
    const id = addClient(handle, "alice");
    addFile(handle, id, "a", { size: 10 });
    addFile(handle, id, "b", { size: 5, verified: false });
    const [row] = listClients(handle).rows;
    assert.deepEqual([row.files, row.verified, row.bytes, row.hasKey], [
      2,
      1,
      15,
      true,
    ]);
  }));

Deno.test("listFiles filters by client, verified state and name, and sorts by size", () =>
  withDb(({ handle }) => {
    const a = addClient(handle, "a");
    const b = addClient(handle, "b");
    addFile(handle, a, "small.txt", { size: 1 });
    addFile(handle, a, "big.txt", { size: 100, verified: false });
    addFile(handle, b, "mid.txt", { size: 50 });
    assert.deepEqual(
      listFiles(handle, { sort: "size", dir: "desc" }).rows.map((r) =>
        r.fileName
      ),
      [
        "big.txt",
        "mid.txt",
        "small.txt",
      ],
    );
    assert.deepEqual(
      listFiles(handle, { client: a, verified: true }).rows.map((r) =>
        r.fileName
      ),
      ["small.txt"],
    );
    assert.deepEqual(
      listFiles(handle, { q: "mid" }).rows.map((r) => r.clientName),
      ["b"],
    );
  }));

Deno.test("deleting a client removes its files; revoking clears its keys; counts follow", () =>
  withDb(({ handle }) => {
    const a = addClient(handle, "a");
    addFile(handle, a, "x");
    addClient(handle, "b");
    assert.deepEqual(countStored(handle), {
      registeredClients: 2,
      verifiedFiles: 1,
    });
    assert.equal(deleteClientRows(handle, a), true);
    assert.equal(deleteClientRows(handle, a), false);
    assert.deepEqual(countStored(handle), {
      registeredClients: 1,
      verifiedFiles: 0,
    });
    assert.equal(revokeClientKey(handle, new Uint8Array(16)), false);
  }));

Deno.test("listTransfers shows the newest first and filters by outcome", () =>
  withDb(({ handle }) => {
    const id = addClient(handle, "a");
    const insert = handle.prepare(
      "INSERT INTO transfers (ClientID, FileName, StartedAt, Outcome) VALUES (?, ?, ?, ?)",
    );
    insert.run(id, "old", "2024-01-01T00:00:00.000Z", "verified");
    insert.run(id, "new", "2024-02-01T00:00:00.000Z", "failed");
    assert.deepEqual(listTransfers(handle).rows.map((r) => r.fileName), [
      "new",
      "old",
    ]);
    assert.deepEqual(
      listTransfers(handle, { outcome: "verified" }).rows.map((r) =>
        r.fileName
      ),
      ["old"],
    );
    assert.equal(listTransfers(handle, { client: id }).rows[0].clientName, "a");
  }));

Deno.test("a file name search finds every name containing the text, whoever wrote, renamed or deleted rows", () =>
  withDb((db) => {
    const { handle } = db;
    const id = addClient(handle, "a");
    addFile(handle, id, "Report-2024.pdf");
    addFile(handle, id, "ab");
    addFile(handle, id, "100%_done.txt");
    addFile(handle, id, "1000.txt");
    db.files.recordVerified({
      clientId: id,
      fileName: "annual-REPORT.txt",
      pathName: "x",
      size: 1,
      checksum: 1,
    }, "2024-01-01T00:00:00.000Z");
    const names = (q: string) =>
      listFiles(handle, { q }).rows.map((r) => r.fileName).sort();
    assert.deepEqual(names("report"), ["Report-2024.pdf", "annual-REPORT.txt"]);
    assert.deepEqual(names("b"), ["ab"], "shorter than a trigram");
    assert.deepEqual(names("0%_"), ["100%_done.txt"], "% and _ are plain");
    handle.prepare(
      "UPDATE files SET FileName = 'renamed.doc' WHERE FileName = ?",
    )
      .run("Report-2024.pdf");
    handle.prepare("DELETE FROM files WHERE FileName = ?").run(
      "annual-REPORT.txt",
    );
    assert.deepEqual(names("report"), []);
    assert.deepEqual(names("NAMED"), ["renamed.doc"]);
    assert.equal(listFiles(handle, { q: "report" }).total, 0);
  }));

Deno.test("a file name search reads the trigram index instead of every row", () =>
  withDb(({ handle }) => {
    const id = addClient(handle, "a");
    addFile(handle, id, "xabcx");
    let total = 0;
    const plans = plansOf(handle, (db) => {
      total = listFiles(db, { q: "abc" }).total;
    });
    assert.equal(total, 1);
    assert.equal(plans.length, 2, "a count and a page");
    for (const plan of plans) {
      assert.match(plan, /files_name_search VIRTUAL TABLE INDEX 0:L/);
      assert.doesNotMatch(plan, /^SCAN f\b/m);
    }
  }));

Deno.test("files and transfers filter by a client's name as well as by its id", () =>
  withDb(({ handle }) => {
    const alice = addClient(handle, "Alice");
    const malice = addClient(handle, "malice");
    const bob = addClient(handle, "bob");
    for (const id of [alice, malice, bob]) addFile(handle, id, "f.txt");
    const insert = handle.prepare(
      "INSERT INTO transfers (ClientID, FileName, StartedAt, Outcome) VALUES (?, ?, ?, 'verified')",
    );
    for (const id of [alice, malice, bob]) {
      insert.run(id, "f.txt", "2024-01-01T00:00:00.000Z");
    }
    const fileOwners = (client: ClientFilter) =>
      listFiles(handle, { client, sort: "name" }).rows.map((r) => r.clientName)
        .sort();
    const transferOwners = (client: ClientFilter) =>
      listTransfers(handle, { client }).rows.map((r) => r.clientName).sort();
    assert.deepEqual(fileOwners({ nameContains: "ALICE" }), [
      "Alice",
      "malice",
    ]);
    assert.deepEqual(transferOwners({ nameContains: "alice" }), [
      "Alice",
      "malice",
    ]);
    assert.deepEqual(fileOwners({ nameContains: "%" }), []);
    assert.deepEqual(transferOwners(bob), ["bob"]);
    assert.deepEqual(fileOwners(bob), ["bob"]);
  }));

Deno.test("the clients pages count each client's files by its id, with or without statistics", () =>
  withDb(({ handle }) => {
    const id = addClient(handle, "a");
    addFile(handle, id, "f.txt");
    // A fresh database has no statistics: the planner must still look up
    // each shown client's files by client id, not walk every verified file.
    const plans = plansOf(handle, (db) => {
      listClients(db);
      getClient(db, id);
    });
    const files = plans.flatMap((p) => p.split("\n"))
      .filter((line) => /^(SEARCH|SCAN) f\b/.test(line));
    assert.ok(files.length >= 6, files.join("\n"));
    for (const line of files) assert.match(line, /\(ID=\?\)/);
  }));
