/**
 * A user who lost me.info gets the client back: the CLI says what to do,
 * the administrator re-keys the client in the portal (audited), the CLI
 * registers again under the same id with a new key, and every old version
 * restores byte for byte.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { runBackup } from "../../client/backup.ts";
import { readMeInfo } from "../../client/me_info.ts";
import { runRestore } from "../../client/restore.ts";
import { toHex } from "../../shared/encoding.ts";
import { assertBytesEqual } from "../bytes_assert.ts";
import { collectOutput, pattern } from "../client/helpers.ts";
import { adminPassword, startServer } from "./harness.ts";
import { Browser } from "./portal_http.ts";

async function backUp(dir: string, data: Uint8Array) {
  await Deno.writeFile(join(dir, "doc.bin"), data);
  const out = collectOutput();
  const status = await runBackup({ dir, out });
  return { status, text: [...out.lines, ...out.errors].join("\n") };
}

Deno.test("lost me.info: the admin re-keys the client, it registers again under its id, and its old versions restore", async () => {
  const server = await startServer();
  const dir = await Deno.makeTempDir({ prefix: "cb-rekey-" });
  const to = await Deno.makeTempDir({ prefix: "cb-rekey-out-" });
  try {
    await Deno.writeTextFile(
      join(dir, "transfer.info"),
      `127.0.0.1:${server.port}\nrita\ndoc.bin\n`,
    );
    const versions = [pattern(2 * 1024 * 1024 + 3, 1), pattern(999, 2)];
    for (const data of versions) {
      assert.equal((await backUp(dir, data)).status, 0);
    }
    const old = (await readMeInfo(join(dir, "me.info")))!;
    const hex = toHex(old.clientId);
    await Deno.remove(join(dir, "me.info"));

    // Without me.info the name is taken: the CLI says how to get it back.
    const refused = await backUp(dir, pattern(10, 3));
    assert.equal(refused.status, 1);
    assert.match(refused.text, /1601.*re-key the client in the portal/s);
    // Asking again under the id does not help while the old key is on file.
    await Deno.writeTextFile(join(dir, "me.info"), `rita\n${hex}\n`);
    const early = await backUp(dir, pattern(10, 3));
    assert.equal(early.status, 1);
    assert.match(early.text, /register "rita" again under id .*1601/);

    const admin = new Browser(server.httpPort);
    await admin.signIn(await adminPassword(server));
    const forged = await admin.fetch(`/clients/${hex}/rekey`, {
      form: { _csrf: "wrong" },
    });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    const rekeyed = await admin.fetch(`/clients/${hex}/rekey`, {
      form: { _csrf: await admin.token(`/clients/${hex}`) },
    });
    assert.equal(rekeyed.status, 303);
    assert.equal(
      rekeyed.headers.get("location"),
      `/clients/${hex}?done=rekeyed`,
    );

    // The two-line me.info registers again under the same id, new key.
    const newest = pattern(4321, 4);
    const again = await backUp(dir, newest);
    assert.equal(again.status, 0, again.text);
    assert.match(again.text, /Registered again as rita \(/);
    const me = (await readMeInfo(join(dir, "me.info")))!;
    assert.equal(toHex(me.clientId), hex);
    assert.notDeepEqual(me.privateKey, old.privateKey);

    for (const [i, data] of [...versions, newest].entries()) {
      const out = collectOutput();
      const status = await runRestore({
        dir,
        to,
        out,
        choice: { kind: "number", number: i + 1 },
        overwrite: true,
        retryDelayMs: 50,
      });
      assert.equal(status, 0, out.errors.join("\n"));
      assertBytesEqual(await Deno.readFile(join(to, "doc.bin")), data);
    }

    const db = new DatabaseSync(join(server.dataDir, "defensive.db"), {
      readOnly: true,
    });
    try {
      const rows = db.prepare(
        "SELECT Actor, Action, Target FROM audit_log WHERE Action = 'client.rekey'",
      ).all();
      assert.deepEqual(rows.map((r) => ({ ...r })), [
        { Actor: "admin", Action: "client.rekey", Target: hex },
      ]);
    } finally {
      db.close();
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(to, { recursive: true });
  }
});
