import assert from "node:assert/strict";
import {
  countStored,
  deleteClientRows,
  listClients,
  listFiles,
  listTransfers,
  revokeClientKey,
} from "../../server/storage/admin_queries.ts";
import { Database } from "../../server/storage/database.ts";
import { addClient, addFile } from "../portal/fixture.ts";

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
