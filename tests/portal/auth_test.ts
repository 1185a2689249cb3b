import assert from "node:assert/strict";
import {
  hashPassword,
  hashPasswordSync,
  randomPassword,
  verifyPassword,
} from "../../server/portal/auth/password.ts";
import { sameSecret, SessionStore } from "../../server/portal/auth/sessions.ts";
import { SignInThrottle } from "../../server/portal/auth/throttle.ts";
import { Database } from "../../server/storage/database.ts";
import { SqlitePortalSessions } from "../../server/storage/sqlite/accounts.ts";
import { DatabaseSync } from "node:sqlite";

const COST = { N: 1024, r: 8, p: 1 };

Deno.test("scrypt hashes verify the right password only", async () => {
  const hash = await hashPassword("s3cret-enough", COST);
  assert.match(hash, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.equal(await verifyPassword("s3cret-enough", hash), true);
  assert.equal(await verifyPassword("s3cret-enougH", hash), false);
  assert.notEqual(await hashPassword("s3cret-enough", COST), hash, "salted");
  assert.equal(await verifyPassword("x", hashPasswordSync("x", COST)), true);
});

Deno.test("malformed stored hashes never verify", async () => {
  for (
    const bad of [
      "",
      "plain",
      "scrypt$0$8$1$AA==$AA==",
      "bcrypt$1$2$3$4$5",
      "scrypt$1024$8$1$AA==$AA==",
    ]
  ) {
    assert.equal(await verifyPassword("x", bad), false, bad);
  }
});

Deno.test("random passwords are long and differ", () => {
  const a = randomPassword();
  assert.equal(a.length, 20);
  assert.notEqual(a, randomPassword());
});

/** A database with the server's migrations in a temporary folder. */
async function withDatabase(
  body: (db: DatabaseSync) => void | Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cb-sessions-" });
  const database = Database.open(`${dir}/defensive.db`);
  try {
    await body(database.handle);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sessions expire after idle time and absolute lifetime", () =>
  withDatabase((db) => {
    let now = 0;
    const store = new SessionStore(new SqlitePortalSessions(db), {
      lifetime: { idleMs: 100, absoluteMs: 250 },
      now: () => now,
    });
    const s = store.create("admin");
    now = 90;
    assert.equal(store.get(s.id)?.user, "admin");
    now = 180;
    assert.equal(
      store.get(s.id)?.user,
      "admin",
      "refreshed by the request at 90",
    );
    now = 260;
    assert.equal(store.get(s.id), undefined, "absolute lifetime over");
    const t = store.create("admin");
    now = 400;
    assert.equal(store.get(t.id), undefined, "idle too long");
    assert.equal(store.get(undefined), undefined);
  }));

Deno.test("sessions are stored hashed: the database holds neither the cookie value nor the CSRF token", () =>
  withDatabase((db) => {
    const store = new SessionStore(new SqlitePortalSessions(db));
    const s = store.create("admin");
    const rows = JSON.stringify(
      db.prepare("SELECT * FROM portal_sessions").all(),
    );
    assert.equal(rows.includes(s.id), false);
    assert.equal(rows.includes(s.csrf), false);
    assert.notEqual(s.csrf, s.id);
    const again = new SessionStore(new SqlitePortalSessions(db)).get(s.id);
    assert.equal(again?.user, "admin", "another store on the same database");
    assert.equal(again?.csrf, s.csrf, "the CSRF token is derived again");
  }));

Deno.test("deleteUser ends every session of that user but the one kept", () =>
  withDatabase((db) => {
    const store = new SessionStore(new SqlitePortalSessions(db));
    const a = store.create("admin");
    const kept = store.create("admin");
    const b = store.create("other");
    assert.equal(store.deleteUser("admin", kept.id), 1);
    assert.equal(store.get(a.id), undefined);
    assert.equal(store.get(kept.id)?.user, "admin");
    assert.equal(store.get(b.id)?.user, "other");
    store.deleteUser("admin");
    assert.equal(store.get(kept.id), undefined);
  }));

Deno.test("the throttle lets an address fail five times, then makes it wait longer after each failure", () => {
  let now = 0;
  const throttle = new SignInThrottle({ now: () => now });
  for (let i = 0; i < 5; i++) {
    assert.equal(throttle.retryAfter("a", "admin"), 0);
    throttle.fail("a", "admin");
    now += 1000;
  }
  assert.equal(throttle.retryAfter("a", "admin"), 29_000);
  assert.equal(
    throttle.retryAfter("b", "admin"),
    0,
    "other addresses are not affected",
  );
  now += 29_000;
  assert.equal(throttle.retryAfter("a", "admin"), 0);
  throttle.fail("a", "admin");
  assert.equal(throttle.retryAfter("a", "admin"), 60_000, "doubled");
  throttle.succeed("a", "admin");
  assert.equal(throttle.retryAfter("a", "admin"), 0);
});

Deno.test("one wrong attempt every 12 s never locks the real administrator out from another address", () => {
  let now = 0;
  const throttle = new SignInThrottle({ now: () => now });
  let attempts = 0;
  let longestAdminWait = 0;
  // An hour of an attacker trying whenever allowed, but at most every 12 s.
  for (; now < 3600_000; now += 12_000) {
    if (throttle.retryAfter("203.0.113.7", "admin") === 0) {
      throttle.fail("203.0.113.7", "admin");
      attempts++;
    }
    longestAdminWait = Math.max(
      longestAdminWait,
      throttle.retryAfter("198.51.100.1", "admin"),
    );
  }
  assert.ok(longestAdminWait <= 2000, `admin waited ${longestAdminWait} ms`);
  assert.ok(attempts < 15, `the attacker got ${attempts} attempts in an hour`);
  assert.ok(
    throttle.retryAfter("203.0.113.7", "admin") > 60_000,
    "the attacker's address waits longer than the old one-minute window",
  );
});

Deno.test("failures spread over many addresses slow the account by at most two seconds", () => {
  let now = 0;
  const throttle = new SignInThrottle({ now: () => now });
  for (let i = 0; i < 50; i++) {
    const address = `10.0.${i >> 8}.${i & 255}`;
    now += throttle.retryAfter(address, "admin");
    throttle.fail(address, "admin");
  }
  const wait = throttle.retryAfter("192.0.2.1", "admin");
  assert.ok(wait > 0 && wait <= 2000, `account wait ${wait} ms`);
  assert.equal(throttle.retryAfter("192.0.2.1", "other"), 0);
});

Deno.test("the throttle's memory stays bounded", () => {
  const throttle = new SignInThrottle({ maxAddresses: 10 });
  for (let i = 0; i < 100; i++) throttle.fail(`10.0.0.${i}`, `user${i}`);
  assert.equal(throttle.retryAfter("10.0.0.99", "user99"), 0);
});

Deno.test("sameSecret compares in constant time and refuses missing values", () => {
  assert.equal(sameSecret("abc", "abc"), true);
  assert.equal(sameSecret("abc", "abd"), false);
  assert.equal(sameSecret("abc", "abcd"), false);
  assert.equal(sameSecret(undefined, undefined), false);
  assert.equal(sameSecret("", ""), false);
});

Deno.test("a session still works on a database that has become read-only", () =>
  withDatabase((db) => {
    let now = 0;
    const s = new SessionStore(new SqlitePortalSessions(db), { now: () => now })
      .create("admin");
    const path = db.location()!;
    const readOnly = new DatabaseSync(path, { readOnly: true });
    try {
      now = 120_000;
      const store = new SessionStore(new SqlitePortalSessions(readOnly), {
        now: () => now,
      });
      assert.equal(store.get(s.id)?.user, "admin", "no refresh, no error");
    } finally {
      readOnly.close();
    }
  }));
