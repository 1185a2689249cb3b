/** Over quota: by bytes or by versions, against the effective policy; found on a database that has the history storage. */
import assert from "node:assert/strict";
import { isOverQuota, quotaCheckOf } from "../../server/ops/quota.ts";
import type { ClientPolicy } from "../../server/storage/types.ts";

const NO_LIMITS = { quotaBytes: null, quotaVersions: null };

Deno.test("a client is over quota only past a set limit", () => {
  const usage = { versions: 10, bytes: 5000 };
  assert.equal(isOverQuota(usage, NO_LIMITS), false);
  assert.equal(isOverQuota(usage, { ...NO_LIMITS, quotaBytes: 5000 }), false);
  assert.equal(isOverQuota(usage, { ...NO_LIMITS, quotaBytes: 4999 }), true);
  assert.equal(isOverQuota(usage, { ...NO_LIMITS, quotaVersions: 9 }), true);
});

Deno.test("quotaCheckOf uses a database's versions and policies, and is undefined without them", () => {
  assert.equal(quotaCheckOf({}), undefined);
  const seen: string[] = [];
  const db = {
    versions: {
      usage(id: Uint8Array) {
        seen.push(`usage ${id[0]}`);
        return { versions: 3, bytes: id[0] === 1 ? 2000 : 10 };
      },
    },
    policies: {
      effective(id: Uint8Array) {
        seen.push(`policy ${id[0]}`);
        return { quotaBytes: 1000, quotaVersions: null } as ClientPolicy;
      },
    },
  };
  const check = quotaCheckOf(db)!;
  assert.equal(check("01".padEnd(32, "0")), true);
  assert.equal(check("02".padEnd(32, "0")), false);
  assert.deepEqual(seen, ["usage 1", "policy 1", "usage 2", "policy 2"]);
});
