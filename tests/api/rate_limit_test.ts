/** The per-address limit on opening sessions. */
import assert from "node:assert/strict";
import { RateLimiter } from "../../server/api/rate_limit.ts";

Deno.test("RateLimiter lets `limit` attempts through per window and says how long to wait", () => {
  let now = 0;
  const limiter = new RateLimiter({ limit: 2, windowMs: 1000, now: () => now });
  assert.equal(limiter.take("a"), 0);
  now = 100;
  assert.equal(limiter.take("a"), 0);
  assert.equal(limiter.take("a"), 900);
  assert.equal(limiter.take("b"), 0, "addresses are counted apart");
  now = 1001;
  assert.equal(limiter.take("a"), 0, "the first attempt left the window");
});

Deno.test("RateLimiter keeps at most maxAddresses addresses", () => {
  let now = 0;
  const limiter = new RateLimiter({
    limit: 1,
    windowMs: 1000,
    maxAddresses: 2,
    now: () => now,
  });
  limiter.take("a");
  limiter.take("b");
  now = 10;
  limiter.take("c");
  // "a" was forgotten to make room, so it may try again at once.
  assert.equal(limiter.take("a"), 0);
});
