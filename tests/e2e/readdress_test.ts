/**
 * Re-addressing on a real start: a data directory whose contents are
 * addressed by SHA-256 (schema 11) is re-addressed by BLAKE3 before the
 * server listens, and its client restores every version byte for byte.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { writeMeInfo } from "../../client/me_info.ts";
import { runRestore } from "../../client/restore.ts";
import type { VersionChoice } from "../../client/restore_select.ts";
import { blake3Hex } from "../../server/crypto/blake3.ts";
import { generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import { collectOutput } from "../client/helpers.ts";
import { ALICE } from "../history/fixture.ts";
import {
  ALICE_UPLOADS,
  clientName,
  writeSha256DataDir,
} from "../storage/sha256_data.ts";
import { startServer } from "./harness.ts";

const UPLOADS = ALICE_UPLOADS;

function rows(path: string, sql: string): Record<string, unknown>[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).all().map((row) => ({ ...row }));
  } finally {
    db.close();
  }
}

Deno.test("a start re-addresses SHA-256 contents by BLAKE3 and every version restores byte for byte", async () => {
  const top = await Deno.makeTempDir({ prefix: "cb-readdress-e2e-" });
  const dataDir = join(top, "data");
  const client = join(top, "client");
  const to = join(top, "restored");
  for (const dir of [dataDir, client, to]) await Deno.mkdir(dir);
  const db = join(dataDir, "defensive.db");
  try {
    writeSha256DataDir(dataDir, UPLOADS);
    const keys = generateKeyPair();
    const old = new DatabaseSync(db);
    old.prepare("UPDATE clients SET PublicKey = ? WHERE ID = ?")
      .run(keys.publicKey, ALICE);
    old.close();
    const name = clientName(ALICE);
    await writeMeInfo(join(client, "me.info"), {
      name,
      clientId: ALICE,
      privateKey: keys.privateKey,
    });

    const server = await startServer({ dataDir });
    try {
      await server.waitForOutput(
        /Re-addressed contents by BLAKE3: 2 re-addressed \(7 bytes, 0 already stored\), 0 skipped/,
      );
      await Deno.writeTextFile(
        join(client, "transfer.info"),
        `127.0.0.1:${server.port}\n${name}\na.txt\n`,
      );
      const restore = async (file: string, choice: VersionChoice) => {
        const out = collectOutput();
        const status = await runRestore({
          dir: client,
          to,
          files: [file],
          choice,
          overwrite: true,
          out,
        });
        assert.equal(status, 0, [...out.lines, ...out.errors].join("\n"));
        return await Deno.readTextFile(join(to, file));
      };
      assert.equal(
        await restore("a.txt", { kind: "number", number: 1 }),
        "one",
      );
      assert.equal(await restore("a.txt", { kind: "newest" }), "both");
      assert.equal(await restore("b.txt", { kind: "newest" }), "both");
    } finally {
      await server.stop();
    }

    assert.deepEqual(
      rows(db, "SELECT Blake3 FROM versions ORDER BY VersionID"),
      UPLOADS.map((u) => ({ Blake3: blake3Hex(u.text) })),
    );
    assert.deepEqual(rows(db, "SELECT * FROM contents_sha256"), []);
    const again = await startServer({ dataDir });
    await again.stop();
    assert.doesNotMatch(again.output(), /Re-address/);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});
