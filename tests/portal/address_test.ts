import assert from "node:assert/strict";
import {
  allowedNames,
  hostAllowed,
  TrustedProxies,
} from "../../server/portal/address.ts";

Deno.test("trusted proxies take addresses and CIDRs of both families, and refuse anything else", () => {
  const proxies = new TrustedProxies(" 10.0.0.0/8, 192.0.2.7 ,fd00::/8,::1");
  assert.equal(proxies.has("10.200.3.4"), true);
  assert.equal(proxies.has("11.0.0.1"), false);
  assert.equal(proxies.has("192.0.2.7"), true);
  assert.equal(proxies.has("192.0.2.8"), false);
  assert.equal(proxies.has("fd12::1"), true);
  assert.equal(proxies.has("::1"), true);
  assert.equal(proxies.has("unknown"), false);
  for (const bad of ["10.0.0.0/33", "example.org", "10.0.0.1/8/2", "::/129"]) {
    assert.throws(() => new TrustedProxies(bad), /Invalid --trusted-proxy/);
  }
  assert.equal(new TrustedProxies(undefined).has("127.0.0.1"), false);
});

Deno.test("X-Forwarded-For counts only from a trusted peer, read from the right past trusted hops", () => {
  const proxies = new TrustedProxies("10.0.0.0/8");
  const xff = "1.2.3.4, 198.51.100.7, 10.0.0.5";
  assert.equal(proxies.clientAddress("10.0.0.2", xff), "198.51.100.7");
  assert.equal(
    proxies.clientAddress("203.0.113.1", xff),
    "203.0.113.1",
    "a stranger cannot choose its address",
  );
  assert.equal(proxies.clientAddress("10.0.0.2", null), "10.0.0.2");
  assert.equal(
    proxies.clientAddress("10.0.0.2", "garbage, 198.51.100.7"),
    "198.51.100.7",
  );
  assert.equal(
    proxies.clientAddress("10.0.0.2", "198.51.100.7, not-an-ip"),
    "10.0.0.2",
    "a malformed hop after the client makes the proxy the client",
  );
});

Deno.test("Host must be an IP address, localhost, the listen address or a public name", () => {
  const names = allowedNames("0.0.0.0", "backup.example.org, Other.Example");
  for (
    const ok of [
      "127.0.0.1:9090",
      "[::1]:9090",
      "10.1.2.3",
      "localhost:9090",
      "backup.example.org",
      "other.example:443",
    ]
  ) {
    assert.equal(hostAllowed(ok, names), true, ok);
  }
  for (
    const bad of [
      "attacker.example",
      "backup.example.org.attacker.example",
      "127.0.0.1/@evil",
      "",
      undefined,
      "local host",
    ]
  ) {
    assert.equal(hostAllowed(bad, names), false, String(bad));
  }
});
