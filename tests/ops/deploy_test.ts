/**
 * The deployment examples of docs/deploy.md: the systemd unit's ExecStart
 * flags parse into a valid configuration with the server's own parser, and
 * systemd-analyze accepts the unit where it is installed.
 */
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { resolveConfig, SERVE_ARGS } from "../../server/config.ts";

const UNIT = new URL(
  "../../docs/examples/cyberbackup.service",
  import.meta.url,
);

async function execStart(): Promise<string[]> {
  const text = await Deno.readTextFile(UNIT);
  const line = text.split("\n").find((l) => l.startsWith("ExecStart="));
  assert.ok(line, "the unit has an ExecStart line");
  return line.slice("ExecStart=".length).trim().split(/\s+/);
}

Deno.test("the systemd unit's ExecStart flags parse into a valid serve configuration", async () => {
  const [binary, command, ...args] = await execStart();
  assert.equal(binary, "/usr/local/bin/cyberbackup");
  assert.equal(command, "serve");
  const { values } = parseArgs({ args, options: SERVE_ARGS, strict: true });
  const { config } = resolveConfig({
    flags: values as Record<string, string | undefined>,
    env: {},
    cwd: "/",
    cores: 4,
  });
  assert.equal(config.dataDir, "/var/lib/cyberbackup");
  assert.equal(config.httpHost, "127.0.0.1");
  assert.equal(config.port, 1256);
  assert.equal(config.minFreeBytes, 5 * 1024 ** 3);
  assert.equal(config.opsIntervalMs, 60_000);
  assert.equal(config.clientMetrics, false);
  // Transfers get their grace before systemd's stop timeout kills the process.
  const unit = await Deno.readTextFile(UNIT);
  const stopSec = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1]);
  assert.ok(config.shutdownGraceMs / 1000 < stopSec);
});

function hasSystemdAnalyze(): boolean {
  try {
    return new Deno.Command("systemd-analyze", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "systemd-analyze verify accepts the unit (binary path replaced by a stand-in)",
  ignore: !hasSystemdAnalyze(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cb-unit-" });
    try {
      // No compiled binary is installed here: point ExecStart at an executable that exists.
      const unit = (await Deno.readTextFile(UNIT)).replaceAll(
        "/usr/local/bin/cyberbackup",
        "/bin/true",
      );
      const path = `${dir}/cyberbackup.service`;
      await Deno.writeTextFile(path, unit);
      const out = await new Deno.Command("systemd-analyze", {
        args: ["verify", "--man=no", path],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stderr) +
        new TextDecoder().decode(out.stdout);
      // Without a running systemd (a container) verify may complain about
      // the manager itself; the unit's own problems name the unit file.
      const own = text.split("\n").filter((l) =>
        l.includes("cyberbackup.service")
      );
      assert.deepEqual(own, [], text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
