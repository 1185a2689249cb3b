import assert from "node:assert/strict";
import {
  hashPassword,
  hashPasswordSync,
  randomPassword,
  verifyPassword,
} from "../../server/portal/auth/password.ts";
import { sameSecret, SessionStore } from "../../server/portal/auth/sessions.ts";
import { SignInThrottle } from "../../server/portal/auth/throttle.ts";

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

Deno.test("sessions expire after idle time and absolute lifetime", () => {
  let now = 0;
  const store = new SessionStore({
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
});

Deno.test("deleteUser ends every session of that user", () => {
  const store = new SessionStore();
  const a = store.create("admin");
  const b = store.create("other");
  store.deleteUser("admin");
  assert.equal(store.get(a.id), undefined);
  assert.equal(store.get(b.id)?.user, "other");
});

Deno.test("the throttle allows five failures a minute per address, then makes it wait", () => {
  let now = 0;
  const throttle = new SignInThrottle({ now: () => now });
  for (let i = 0; i < 5; i++) {
    assert.equal(throttle.retryAfter("a"), 0);
    throttle.fail("a");
    now += 1000;
  }
  assert.equal(throttle.retryAfter("a"), 55_000);
  assert.equal(throttle.retryAfter("b"), 0, "other addresses are not affected");
  now = 60_001;
  assert.equal(
    throttle.retryAfter("a"),
    0,
    "the oldest failure left the window",
  );
  throttle.succeed("a");
  assert.equal(throttle.retryAfter("a"), 0);
});

Deno.test("the throttle's memory stays bounded", () => {
  const throttle = new SignInThrottle({ maxAddresses: 10 });
  for (let i = 0; i < 100; i++) throttle.fail(`10.0.0.${i}`);
  assert.equal(throttle.retryAfter("10.0.0.99"), 0);
});

Deno.test("sameSecret compares in constant time and refuses missing values", () => {
  assert.equal(sameSecret("abc", "abc"), true);
  assert.equal(sameSecret("abc", "abd"), false);
  assert.equal(sameSecret("abc", "abcd"), false);
  assert.equal(sameSecret(undefined, undefined), false);
  assert.equal(sameSecret("", ""), false);
});
