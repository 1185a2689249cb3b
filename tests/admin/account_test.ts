import assert from "node:assert/strict";
import {
  ensureAdminAccount,
  setAdminPassword,
} from "../../server/admin/account.ts";
import { verifyPassword } from "../../server/portal/auth/password.ts";
import { SessionStore } from "../../server/portal/auth/sessions.ts";
import { getAdminHash } from "../../server/storage/admin_queries.ts";
import { openTestDatabase } from "../portal/fixture.ts";

async function withDb(
  fn: (db: ReturnType<typeof openTestDatabase>) => Promise<void> | void,
) {
  const dir = await Deno.makeTempDir();
  const db = openTestDatabase(`${dir}/defensive.db`);
  try {
    await fn(db);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the first start creates admin with a random password, returned once", () =>
  withDb(async (db) => {
    const password = ensureAdminAccount({ handle: db });
    assert.ok(password && password.length >= 20);
    assert.equal(
      await verifyPassword(password, getAdminHash(db, "admin")!),
      true,
    );
    assert.equal(
      ensureAdminAccount({ handle: db }),
      undefined,
      "later starts keep the account",
    );
    assert.equal(
      await verifyPassword(password, getAdminHash(db, "admin")!),
      true,
    );
  }));

Deno.test("setAdminPassword replaces the hash and refuses short passwords", () =>
  withDb(async (db) => {
    ensureAdminAccount({ handle: db });
    setAdminPassword({ handle: db }, "admin", "a much better password");
    assert.equal(
      await verifyPassword(
        "a much better password",
        getAdminHash(db, "admin")!,
      ),
      true,
    );
    assert.throws(
      () => setAdminPassword({ handle: db }, "admin", "short"),
      RangeError,
    );
    assert.throws(
      () => setAdminPassword({ handle: db }, "bad name", "long enough"),
      TypeError,
    );
  }));

Deno.test("setting a password ends every portal session of that administrator", () =>
  withDb((db) => {
    const store = new SessionStore(db);
    const admin = store.create("admin");
    const other = store.create("other");
    setAdminPassword({ handle: db }, "admin", "a new password");
    assert.equal(store.get(admin.id), undefined);
    assert.equal(store.get(other.id)?.user, "other");
  }));
