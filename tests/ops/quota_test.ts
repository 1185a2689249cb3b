/** Over quota: by bytes or by versions, against the effective policy. */
import assert from "node:assert/strict";
import { isOverQuota, quotaCheck } from "../../server/ops/quota.ts";
import type { ClientPolicy } from "../../server/storage/types.ts";

const NO_LIMITS = { quotaBytes: null, quotaVersions: null };

Deno.test("a client is over quota only past a set limit", () => {
  const usage = { versions: 10, bytes: 5000 };
  assert.equal(isOverQuota(usage, NO_LIMITS), false);
  assert.equal(isOverQuota(usage, { ...NO_LIMITS, quotaBytes: 5000 }), false);
  assert.equal(isOverQuota(usage, { ...NO_LIMITS, quotaBytes: 4999 }), true);
  assert.equal(isOverQuota(usage, { ...NO_LIMITS, quotaVersions: 9 }), true);
});

Deno.test("quotaCheck reads the policy first and scans versions only for a client with a quota", () => {
  const seen: string[] = [];
  const check = quotaCheck(
    {
      usage(id: Uint8Array) {
        seen.push(`usage ${id[0]}`);
        return { versions: 3, bytes: id[0] === 1 ? 2000 : 10 };
      },
    },
    {
      effective(id: Uint8Array) {
        seen.push(`policy ${id[0]}`);
        return (id[0] === 3 ? NO_LIMITS : {
          quotaBytes: 1000,
          quotaVersions: null,
        }) as ClientPolicy;
      },
    },
  );
  assert.equal(check("01".padEnd(32, "0")), true);
  assert.equal(check("02".padEnd(32, "0")), false);
  assert.equal(check("03".padEnd(32, "0")), false);
  assert.deepEqual(seen, [
    "policy 1",
    "usage 1",
    "policy 2",
    "usage 2",
    "policy 3",
  ]);
});
