import assert from "node:assert/strict";
import { Database } from "../../server/storage/database.ts";
import { NO_POLICY } from "../../server/storage/sqlite/policies.ts";

const A = new Uint8Array(16).fill(0xa1);
const B = new Uint8Array(16).fill(0xb2);
const NOW = "2026-01-01T00:00:00.000Z";

function open() {
  const dir = Deno.makeTempDirSync({ prefix: "cyberbackup-policies-" });
  const db = Database.open(`${dir}/defensive.db`);
  return {
    db,
    [Symbol.dispose]() {
      db.close();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

Deno.test("policies.effective() fills a client's null rules from the default", () => {
  using t = open();
  const { db } = t;
  assert.deepEqual(db.policies.effective(A), NO_POLICY);
  db.policies.set("*", { ...NO_POLICY, keepLast: 10, quotaBytes: 1000 }, NOW);
  db.policies.set(A, { ...NO_POLICY, keepDaily: 7, quotaBytes: 50 }, NOW);
  assert.deepEqual(db.policies.effective(A), {
    ...NO_POLICY,
    keepLast: 10,
    keepDaily: 7,
    quotaBytes: 50,
  });
  assert.deepEqual(db.policies.effective(B), {
    ...NO_POLICY,
    keepLast: 10,
    quotaBytes: 1000,
  });
  assert.deepEqual(db.policies.get(A), {
    ...NO_POLICY,
    keepDaily: 7,
    quotaBytes: 50,
  });
  assert.equal(db.policies.get(B), undefined);
});

Deno.test("policies.set() replaces a scope's rules and clear() returns a client to the default", () => {
  using t = open();
  const { db } = t;
  db.policies.set("*", { ...NO_POLICY, quotaVersions: 5 }, NOW);
  db.policies.set(A, { ...NO_POLICY, quotaVersions: 9, keepLast: 2 }, NOW);
  db.policies.set(A, { ...NO_POLICY, keepWithinSeconds: 3600 }, NOW);
  assert.deepEqual(db.policies.get(A), {
    ...NO_POLICY,
    keepWithinSeconds: 3600,
  });
  assert.equal(db.policies.effective(A).quotaVersions, 5);
  db.policies.clear(A);
  assert.equal(db.policies.get(A), undefined);
  assert.equal(db.policies.get("*")?.quotaVersions, 5);
});

Deno.test("policies.set() refuses negative or fractional rules and a malformed client id", () => {
  using t = open();
  const { db } = t;
  assert.throws(
    () => db.policies.set(A, { ...NO_POLICY, keepLast: -1 }, NOW),
    RangeError,
  );
  assert.throws(
    () => db.policies.set(A, { ...NO_POLICY, quotaBytes: 1.5 }, NOW),
    RangeError,
  );
  assert.throws(() => db.policies.get(new Uint8Array(3)), RangeError);
  assert.equal(db.policies.get(A), undefined);
});
