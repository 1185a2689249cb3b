import assert from "node:assert/strict";
import {
  ensureAdminAccount,
  setAdminPassword,
} from "../../server/admin/account.ts";
import { verifyPassword } from "../../server/portal/auth/password.ts";
import { SessionStore } from "../../server/portal/auth/sessions.ts";
import { Database } from "../../server/storage/database.ts";

async function withDb(
  fn: (db: Database) => Promise<void> | void,
) {
  const dir = await Deno.makeTempDir();
  const db = Database.open(`${dir}/defensive.db`);
  try {
    await fn(db);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the first start creates admin with a random password, returned once", () =>
  withDb(async (db) => {
    const password = ensureAdminAccount(db);
    assert.ok(password && password.length >= 20);
    assert.equal(
      await verifyPassword(password, db.admins.hash("admin")!),
      true,
    );
    assert.equal(
      ensureAdminAccount(db),
      undefined,
      "later starts keep the account",
    );
    assert.equal(
      await verifyPassword(password, db.admins.hash("admin")!),
      true,
    );
  }));

Deno.test("setAdminPassword replaces the hash and refuses short passwords", () =>
  withDb(async (db) => {
    ensureAdminAccount(db);
    await setAdminPassword(db, "admin", "a much better password");
    assert.equal(
      await verifyPassword(
        "a much better password",
        db.admins.hash("admin")!,
      ),
      true,
    );
    await assert.rejects(
      () => setAdminPassword(db, "admin", "short"),
      RangeError,
    );
    await assert.rejects(
      () => setAdminPassword(db, "bad name", "long enough"),
      TypeError,
    );
  }));

Deno.test("setting a password ends every portal session of that administrator", () =>
  withDb(async (db) => {
    const store = new SessionStore(db.portalSessions);
    const admin = store.create("admin");
    const other = store.create("other");
    await setAdminPassword(db, "admin", "a new password");
    assert.equal(store.get(admin.id), undefined);
    assert.equal(store.get(other.id)?.user, "other");
  }));
