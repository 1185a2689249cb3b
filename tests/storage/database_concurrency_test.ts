import assert from "node:assert/strict";
import { Database } from "../../server/storage/database.ts";

const MODULE = new URL("../../server/storage/database.ts", import.meta.url);

/**
 * A worker thread that opens its own connection (as the TCP workers do)
 * and writes `count` clients, transfers and files, one small transaction each.
 */
const WORKER_SOURCE = `
import { Database } from ${JSON.stringify(MODULE.href)};
self.onmessage = (event) => {
  const { path, tag, count } = event.data;
  try {
    const db = Database.open(path);
    for (let i = 0; i < count; i++) {
      const id = crypto.getRandomValues(new Uint8Array(16));
      const now = new Date().toISOString();
      if (!db.clients.create(id, tag + "-" + i, now)) throw new Error("name taken");
      db.clients.setKeys(id, { publicKey: new Uint8Array(160), aesKey: new Uint8Array(32) }, now);
      const transfer = db.transfers.start({ clientId: id, fileName: "f", transport: "tcp", size: 1, attempt: 1 }, now);
      db.transfers.progress(transfer, 1);
      db.transaction(() => {
        db.files.recordVerified({ clientId: id, fileName: "f", pathName: "p", size: 1, checksum: i }, now);
        db.transfers.finish(transfer, { outcome: "verified", bytes: 1 }, now);
      });
    }
    db.close();
    self.postMessage({ ok: true });
  } catch (error) {
    self.postMessage({ ok: false, error: String(error) });
  }
};`;

function runWorker(
  data: { path: string; tag: string; count: number },
): Promise<void> {
  const url = URL.createObjectURL(
    new Blob([WORKER_SOURCE], { type: "application/javascript" }),
  );
  const worker = new Worker(url, { type: "module" });
  return new Promise<void>((resolve, reject) => {
    worker.onmessage = (event) => {
      worker.terminate();
      URL.revokeObjectURL(url);
      if (event.data.ok) resolve();
      else reject(new Error(event.data.error));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(event.message));
    };
    worker.postMessage(data);
  });
}

Deno.test("connections in several threads open and write one fresh file at once without losing rows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-db-" });
  const path = `${dir}/defensive.db`;
  const count = 150;
  const tags = ["w1", "w2", "w3"];
  // No connection exists yet: the workers race to create and migrate the file.
  await Promise.all(tags.map((tag) => runWorker({ path, tag, count })));

  const db = Database.open(path);
  try {
    const n = (sql: string) => Number(db.handle.prepare(sql).get()?.n);
    assert.equal(n("SELECT count(*) AS n FROM clients"), tags.length * count);
    assert.equal(
      n("SELECT count(*) AS n FROM files WHERE Verified = 1"),
      tags.length * count,
    );
    assert.equal(
      n("SELECT count(*) AS n FROM transfers WHERE Outcome = 'verified'"),
      tags.length * count,
    );
    assert.equal(
      n("SELECT count(*) AS n FROM clients WHERE PublicKey IS NULL"),
      0,
    );
  } finally {
    db.close();
  }
});

Deno.test("the main thread keeps writing while worker connections write the same file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-db-" });
  const path = `${dir}/defensive.db`;
  const main = Database.open(path);
  try {
    const workers = Promise.all([
      runWorker({ path, tag: "a", count: 200 }),
      runWorker({ path, tag: "b", count: 200 }),
    ]);
    let written = 0;
    let done = false;
    workers.finally(() => done = true);
    // Interleave the main thread's writes with the workers' until they finish.
    while (!done || written < 50) {
      const id = crypto.getRandomValues(new Uint8Array(16));
      assert.ok(
        main.clients.create(id, `main-${written}`, "2025-01-01T00:00:00Z"),
      );
      written++;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await workers;
    const row = main.handle.prepare("SELECT count(*) AS n FROM clients").get();
    assert.equal(Number(row?.n), 400 + written);
  } finally {
    main.close();
  }
});
