import assert from "node:assert/strict";
import { Database } from "../../server/storage/database.ts";

function entry(at: string, actor: string, action: string, target = "t") {
  return { at, actor, address: "127.0.0.1", action, target, detail: null };
}

Deno.test("audit log lists newest first, filtered by actor, action prefix and time", () => {
  const dir = Deno.makeTempDirSync();
  const db = Database.open(`${dir}/defensive.db`);
  try {
    db.audit.record(entry("2026-01-01T00:00:00.000Z", "ann", "client.delete"));
    db.audit.record(entry("2026-01-02T00:00:00.000Z", "bob", "client.revoke"));
    db.audit.record(entry("2026-01-03T00:00:00.000Z", "ann", "clientele.x"));
    db.audit.record(entry("2026-01-04T00:00:00.000Z", "ann", "version.trash"));

    const all = db.audit.list();
    assert.equal(all.total, 4);
    assert.deepEqual(all.rows.map((r) => r.action), [
      "version.trash",
      "clientele.x",
      "client.revoke",
      "client.delete",
    ]);
    assert.equal(all.rows[0].address, "127.0.0.1");

    // A prefix matches whole dotted words only, and LIKE wildcards are literal.
    const clients = db.audit.list({ action: "client" });
    assert.deepEqual(clients.rows.map((r) => r.action), [
      "client.revoke",
      "client.delete",
    ]);
    assert.equal(db.audit.list({ action: "c_ient" }).total, 0);

    assert.equal(db.audit.list({ actor: "ann" }).total, 3);
    const window = db.audit.list({
      since: "2026-01-02T00:00:00.000Z",
      until: "2026-01-04T00:00:00.000Z",
    });
    assert.deepEqual(window.rows.map((r) => r.actor), ["ann", "bob"]);
  } finally {
    db.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
