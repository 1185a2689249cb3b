import assert from "node:assert/strict";
import {
  DEFAULT_PORT,
  parsePortInfo,
  resolveConfig,
} from "../server/config.ts";

const BASE = { flags: {}, env: {}, cwd: "/data", cores: 2 };

Deno.test("resolveConfig() uses port.info when no flag or variable names a port", () => {
  const { config, warnings } = resolveConfig({ ...BASE, portInfo: "4242\n" });
  assert.equal(config.port, 4242);
  assert.equal(config.portSource, "port.info");
  assert.deepEqual(warnings, []);
});

Deno.test("resolveConfig() warns and uses 1256 when port.info is missing or invalid", () => {
  for (const portInfo of [undefined, "", "abc", "70000", "0", "12 34"]) {
    const { config, warnings } = resolveConfig({ ...BASE, portInfo });
    assert.equal(config.port, DEFAULT_PORT, `port.info ${portInfo}`);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /port\.info/);
  }
});

Deno.test("resolveConfig() lets a flag override the environment, which overrides port.info", () => {
  const env = { CYBERBACKUP_PORT: "2000", CYBERBACKUP_WORKERS: "3" };
  const fromEnv = resolveConfig({ ...BASE, env, portInfo: "1000" }).config;
  assert.equal(fromEnv.port, 2000);
  assert.equal(fromEnv.portSource, "env");
  assert.equal(fromEnv.workers, 3);
  const fromFlag = resolveConfig({
    ...BASE,
    env,
    flags: { port: "3000" },
    portInfo: "1000",
  }).config;
  assert.equal(fromFlag.port, 3000);
  assert.equal(fromFlag.portSource, "flag");
});

Deno.test("resolveConfig() parses sizes and durations with units", () => {
  const { config } = resolveConfig({
    ...BASE,
    flags: { "max-packet": "2M", "idle-timeout": "30s", "max-file": "1G" },
  });
  assert.equal(config.maxPacketBytes, 2 * 1024 * 1024);
  assert.equal(config.idleTimeoutMs, 30_000);
  assert.equal(config.maxFileBytes, 1024 ** 3);
});

Deno.test("resolveConfig() defaults to one worker per core, data in the working directory", () => {
  const { config } = resolveConfig({ ...BASE, cores: 6, portInfo: "1256" });
  assert.equal(config.workers, 6);
  assert.equal(config.dataDir, "/data");
  assert.equal(config.httpHost, "127.0.0.1");
  assert.equal(config.httpPort, 9090);
  assert.equal(config.oaepHash, "sha1");
});

Deno.test("resolveConfig() refuses invalid values with a message naming the option", () => {
  assert.throws(
    () => resolveConfig({ ...BASE, flags: { port: "x" } }),
    /--port/,
  );
  assert.throws(
    () => resolveConfig({ ...BASE, flags: { port: "70000" } }),
    /--port/,
  );
  assert.throws(
    () => resolveConfig({ ...BASE, flags: { "oaep-hash": "md5" } }),
    /--oaep-hash/,
  );
  assert.throws(
    () => resolveConfig({ ...BASE, env: { CYBERBACKUP_LOG_LEVEL: "loud" } }),
    /CYBERBACKUP_LOG_LEVEL/,
  );
});

Deno.test("parsePortInfo() accepts one decimal port number", () => {
  assert.equal(parsePortInfo(" 8080 \n"), 8080);
  assert.equal(parsePortInfo("65536"), undefined);
  assert.equal(parsePortInfo("-1"), undefined);
});
