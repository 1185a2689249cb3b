import assert from "node:assert/strict";
import {
  AddressLimits,
  hostOf,
  limitKey,
} from "../../server/tcp/address_limits.ts";

Deno.test("AddressLimits lets one address hold at most its limit of connections, and others their own", () => {
  // Seed 0: a fixed hash, under which these two addresses never share a bucket.
  const limits = AddressLimits.create(
    { maxPerAddress: 3, registerRate: 10 },
    Date.now(),
    0,
  );
  for (let i = 0; i < 3; i++) assert.ok(limits.tryConnect("10.0.0.1"));
  assert.equal(limits.tryConnect("10.0.0.1"), false);
  assert.ok(limits.tryConnect("10.0.0.2"));
  limits.disconnect("10.0.0.1");
  assert.ok(limits.tryConnect("10.0.0.1"));
  // Another thread's view shares the counts.
  const view = AddressLimits.from(limits.buffer, limits.values);
  assert.equal(view.connections("10.0.0.1"), 3);
  assert.equal(view.tryConnect("10.0.0.1"), false);
});

Deno.test("AddressLimits allows a burst of registrations per address, then one per refill interval", () => {
  const start = 1_000_000;
  const limits = AddressLimits.create(
    { maxPerAddress: 64, registerRate: 6 },
    start,
    0,
  );
  for (let i = 0; i < 6; i++) assert.ok(limits.tryRegister("10.0.0.1", start));
  assert.equal(limits.tryRegister("10.0.0.1", start), false);
  assert.ok(limits.tryRegister("10.0.0.2", start), "another address");
  // 6 per minute: one token back every 10 s.
  assert.equal(limits.tryRegister("10.0.0.1", start + 9_000), false);
  assert.ok(limits.tryRegister("10.0.0.1", start + 10_000));
  assert.equal(limits.tryRegister("10.0.0.1", start + 10_000), false);
  assert.ok(limits.tryRegister("10.0.0.1", start + 300_000));
});

Deno.test("hostOf() drops the port of IPv4 and IPv6 remote addresses", () => {
  assert.equal(hostOf("127.0.0.1:5000"), "127.0.0.1");
  assert.equal(hostOf("::1:5000"), "::1");
});

Deno.test("limitKey() counts an IPv6 peer by its /64 and an IPv4-mapped one by its IPv4 address", () => {
  assert.equal(limitKey("203.0.113.7"), "203.0.113.7");
  assert.equal(limitKey("::ffff:203.0.113.7"), "203.0.113.7");
  assert.equal(limitKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(
    limitKey("2001:db8:1:2:bbbb:cccc:dddd:eeee"),
    "2001:db8:1:2::/64",
  );
  assert.equal(limitKey("2001:db8::1"), "2001:db8:0:0::/64");
  assert.equal(limitKey("::1"), "0:0:0:0::/64");
});

Deno.test("addresses of one IPv6 /64 share one connection limit", () => {
  const limits = AddressLimits.create({ maxPerAddress: 2, registerRate: 10 });
  assert.ok(limits.tryConnect("2001:db8:1:2::1"));
  assert.ok(limits.tryConnect("2001:db8:1:2::2"));
  assert.equal(limits.tryConnect("2001:db8:1:2:ffff::3"), false);
});

Deno.test("every AddressLimits gets its own hash seed, shared with the views of other threads", () => {
  const seeds = new Set(
    Array.from({ length: 8 }, () => {
      const limits = AddressLimits.create({
        maxPerAddress: 1,
        registerRate: 1,
      });
      return new Uint32Array(limits.buffer, 8, 1)[0];
    }),
  );
  assert.ok(seeds.size > 1, "seeds are random");
  const limits = AddressLimits.create({ maxPerAddress: 1, registerRate: 1 });
  assert.ok(limits.tryConnect("198.51.100.4"));
  const view = AddressLimits.from(limits.buffer, limits.values);
  assert.equal(view.tryConnect("198.51.100.4"), false, "same bucket in a view");
});
