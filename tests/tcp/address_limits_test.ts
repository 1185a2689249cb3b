import assert from "node:assert/strict";
import { AddressLimits, hostOf } from "../../server/tcp/address_limits.ts";

Deno.test("AddressLimits lets one address hold at most its limit of connections, and others their own", () => {
  const limits = AddressLimits.create({ maxPerAddress: 3, registerRate: 10 });
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
