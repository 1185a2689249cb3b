import assert from "node:assert/strict";
import {
  quotaGauge,
  quotaPercent,
  worseLevel,
} from "../../server/portal/quota.ts";
import { savings } from "../../server/portal/client_history.ts";

Deno.test("quotaGauge() warns from 90 % of a quota and is over only past it", () => {
  assert.equal(quotaGauge(500, null).level, "none");
  assert.equal(quotaGauge(899, 1000).level, "ok");
  assert.equal(quotaGauge(900, 1000).level, "warn");
  assert.equal(quotaGauge(1000, 1000).level, "warn");
  assert.equal(quotaGauge(1001, 1000).level, "over");
  assert.equal(quotaGauge(1250, 1000).fraction, 1.25);
  assert.equal(quotaGauge(1, 0).level, "over");
  assert.equal(quotaGauge(0, 0).level, "warn");
});

Deno.test("quotaPercent() shows how far past its quota a client is", () => {
  assert.equal(quotaPercent(0.934), "93%");
  assert.equal(quotaPercent(1.25), "125%");
  assert.equal(quotaPercent(Infinity), "∞%");
});

Deno.test("worseLevel() picks the level to show for two quotas", () => {
  assert.equal(worseLevel("ok", "warn"), "warn");
  assert.equal(worseLevel("over", "warn"), "over");
  assert.equal(worseLevel("none", "ok"), "ok");
  assert.equal(worseLevel("none", "none"), "none");
});

Deno.test("savings() is what deduplication spares of the logical bytes", () => {
  assert.deepEqual(savings(1000, 250), { bytes: 750, fraction: 0.75 });
  assert.deepEqual(savings(0, 0), { bytes: 0, fraction: 0 });
  // Compression or a race can make stored exceed logical: no negative saving.
  assert.deepEqual(savings(100, 120), { bytes: 0, fraction: 0 });
});
