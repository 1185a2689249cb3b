/**
 * Upgrade in place: a data directory written by the release before backup
 * history (schema 7, tests/fixtures/make_schema7_data.sh) is upgraded by a
 * real start of this server with nothing lost, every stored file becoming
 * version 1 of its name, linked into the content store.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS } from "../../server/storage/schema.ts";
import { startServer } from "./harness.ts";
import { blake3 } from "../history/fixture.ts";

const FIXTURE = new URL("../fixtures/schema7_data.tar.gz", import.meta.url)
  .pathname;

type Rows = Record<string, unknown>[];

function rows(path: string, sql: string): Rows {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).all().map((row) => ({ ...row }));
  } finally {
    db.close();
  }
}

/** Every stored file under received_files/<client hex>/, by relative path. */
function storedFiles(root: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const client of Deno.readDirSync(root)) {
    if (!/^[0-9a-f]{32}$/.test(client.name)) continue;
    for (const file of Deno.readDirSync(join(root, client.name))) {
      const path = `${client.name}/${file.name}`;
      files.set(path, Deno.readFileSync(join(root, path)));
    }
  }
  return files;
}

async function extractFixture(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cb-upgrade-" });
  const tar = await new Deno.Command("tar", {
    args: ["-xzf", FIXTURE, "-C", dir],
  }).output();
  assert.equal(tar.code, 0, new TextDecoder().decode(tar.stderr));
  return join(dir, "data");
}

const FILES_SQL = `SELECT lower(hex(ID)) AS id, FileName, PathName, Verified,
  Size, Checksum, StoredAt FROM files ORDER BY rowid`;
const CLIENTS_SQL = `SELECT lower(hex(ID)) AS id, Name, hex(PublicKey) AS key,
  CreatedAt, KeyField FROM clients ORDER BY Name`;

Deno.test("a schema 7 data directory is upgraded on first start: every file becomes version 1, nothing is lost", async () => {
  const dataDir = await extractFixture();
  const db = join(dataDir, "defensive.db");
  const root = join(dataDir, "received_files");
  try {
    assert.deepEqual(rows(db, "PRAGMA user_version"), [{ user_version: 7 }]);
    const files = rows(db, FILES_SQL);
    const clients = rows(db, CLIENTS_SQL);
    const transfers = rows(db, "SELECT * FROM transfers ORDER BY TransferID");
    const bytes = storedFiles(root);
    assert.equal(files.length, 5);
    assert.equal(bytes.size, 5);
    assert.ok(bytes.has(`${files[1].id}/résumé été.txt`));

    const server = await startServer({ dataDir });
    await server.waitForOutput(/Upgraded stored files to history: 5 versioned/);
    await server.stop();

    assert.deepEqual(rows(db, "PRAGMA user_version"), [{
      user_version: MIGRATIONS.length,
    }]);
    assert.deepEqual(rows(db, FILES_SQL), files);
    assert.deepEqual(rows(db, CLIENTS_SQL), clients);
    assert.deepEqual(
      rows(db, "SELECT * FROM transfers ORDER BY TransferID"),
      transfers,
    );
    assert.deepEqual(storedFiles(root), bytes);

    const versions = rows(
      db,
      `SELECT lower(hex(ClientID)) AS id, FileName, Number, Blake3, Size,
         Checksum, StoredAt, TrashedAt FROM versions ORDER BY VersionID`,
    );
    assert.deepEqual(
      versions,
      files.map((f) => ({
        id: f.id,
        FileName: f.FileName,
        Number: 1,
        Blake3: blake3(bytes.get(`${f.id}/${f.FileName}`)!),
        Size: f.Size,
        Checksum: f.Checksum,
        StoredAt: f.StoredAt,
        TrashedAt: null,
      })),
    );
    // Alice's "copy of notes.txt" and Bob's "notes.txt" hold the same bytes:
    // one object, and every name is a hard link to its object.
    const distinct = new Set(versions.map((v) => String(v.Blake3)));
    assert.equal(distinct.size, 4);
    assert.deepEqual(
      rows(db, "SELECT Blake3, Size, StoredSize FROM contents ORDER BY Blake3"),
      [...distinct].sort().map((sha) => {
        const size = versions.find((v) => v.Blake3 === sha)!.Size;
        return { Blake3: sha, Size: size, StoredSize: size };
      }),
    );
    for (const v of versions) {
      const sha = String(v.Blake3);
      const object = join(root, ".objects", sha.slice(0, 2), sha);
      const name = join(root, String(v.id), String(v.FileName));
      assert.equal(Deno.statSync(name).ino, Deno.statSync(object).ino);
      assert.equal(Deno.statSync(object).mode! & 0o777, 0o600);
    }
    const objects = [...Deno.readDirSync(join(root, ".objects"))]
      .flatMap((d) => [...Deno.readDirSync(join(root, ".objects", d.name))]);
    assert.equal(objects.length, 4);

    // A second start finds nothing left to upgrade.
    const again = await startServer({ dataDir });
    await again.stop();
    assert.doesNotMatch(again.output(), /Upgraded stored files/);
    assert.equal(rows(db, "SELECT * FROM versions").length, 5);
  } finally {
    await Deno.remove(join(dataDir, ".."), { recursive: true });
  }
});
