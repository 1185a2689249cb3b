/**
 * Every command of a cyberbackup executable (packaged or compiled), run
 * alone in a sandbox: serve, backup, admin and restore.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readMeInfo } from "../../client/me_info.ts";
import { toHex } from "../../shared/encoding.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { pattern } from "../client/helpers.ts";
import { assertBytesEqual } from "../bytes_assert.ts";
import { adminPassword, startServer } from "./harness.ts";
import { Browser } from "./portal_http.ts";
import { ok, ROOT, run, type Sandbox } from "./sandbox.ts";

const MiB = 1024 * 1024;

async function get(port: number, path: string): Promise<Response> {
  return await fetch(`http://127.0.0.1:${port}${path}`, { redirect: "manual" });
}

/** Signs in over HTTP; 303 means the password was accepted. */
async function signInStatus(port: number, password: string): Promise<number> {
  const posted = await new Browser(port).signIn(password);
  await posted.body?.cancel();
  return posted.status;
}

/**
 * Every command of the executable in `box`: serve (portal pages, /backup,
 * the island bundle, /health), backup (one file in one packet, one big
 * enough for the packet worker), admin, restore; exit codes and SIGTERM.
 */
export async function everyCommand(
  t: Deno.TestContext,
  box: Sandbox,
): Promise<void> {
  await t.step("--version and an unknown command's exit status", async () => {
    const version = ok(await run(box, ["--version"]), "--version");
    assert.equal(version.stdout.trim(), `cyberbackup ${denoJson.version}`);
    const unknown = await run(box, ["no-such-command"]);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /unknown command "no-such-command"/);
  });

  const dataDir = join(box.work, "data");
  await Deno.mkdir(dataDir);
  const server = await startServer({
    executable: box.exe,
    dataDir,
    env: box.env,
    clearEnv: true,
  });
  const clientDir = join(box.work, "client");
  await Deno.mkdir(clientDir);
  const files = new Map([
    ["small.txt", new TextEncoder().encode("packaged and restored\n")],
    ["big.bin", pattern(17 * MiB, 5)],
  ]);
  try {
    const initialPassword = await adminPassword(server);
    assert.match(
      server.output(),
      /Change it with: cyberbackup admin set-password/,
      "the hint names the executable, not deno",
    );

    await t.step(
      "serve: portal pages, the island bundle, /health",
      async () => {
        const login = await get(server.httpPort, "/login");
        assert.equal(login.status, 200);
        assert.match(await login.text(), /name="_csrf"/);
        const backup = await get(server.httpPort, "/backup");
        assert.equal(backup.status, 200);
        const page = await backup.text();
        assert.match(page, /src="\/static\/islands\/main\.js"/);
        const bundle = await get(server.httpPort, "/static/islands/main.js");
        assert.equal(bundle.status, 200);
        assert.match(bundle.headers.get("content-type") ?? "", /javascript/);
        const expected = await Deno.readFile(
          join(ROOT, "static/islands/main.js"),
        );
        assertBytesEqual(new Uint8Array(await bundle.arrayBuffer()), expected);
        const css = await get(server.httpPort, "/static/style.css");
        assert.equal(css.status, 200);
        await css.body?.cancel();
        const health = await get(server.httpPort, "/health");
        assert.equal(health.status, 200, await health.text());
      },
    );

    await t.step("backup: the client backs up two files", async () => {
      for (const [name, bytes] of files) {
        await Deno.writeFile(join(clientDir, name), bytes);
      }
      await Deno.writeTextFile(
        join(clientDir, "transfer.info"),
        `127.0.0.1:${server.port}\nalice\n${[...files.keys()].join("\n")}\n`,
      );
      const result = ok(
        await run(box, ["backup", "--dir", clientDir]),
        "backup",
      );
      assert.match(result.stdout, /^Verified big\.bin/m);
      const me = await readMeInfo(join(clientDir, "me.info"));
      assert.ok(me, "me.info was written");
      const stored = join(dataDir, "received_files", toHex(me.clientId));
      for (const [name, bytes] of files) {
        assertBytesEqual(await Deno.readFile(join(stored, name)), bytes);
      }
    });

    await t.step("admin: list-clients and set-password", async () => {
      const list = ok(
        await run(box, ["admin", "list-clients", "--data-dir", dataDir]),
        "admin list-clients",
      );
      assert.match(list.stdout, /alice/);
      const password = "packaged-password-1";
      ok(
        await run(box, [
          "admin",
          "set-password",
          "--password-stdin",
          "--data-dir",
          dataDir,
        ], `${password}\n`),
        "admin set-password",
      );
      assert.equal(await signInStatus(server.httpPort, password), 303);
      assert.notEqual(
        await signInStatus(server.httpPort, initialPassword),
        303,
        "the old password no longer signs in",
      );
    });

    await t.step({
      name: "restore: lists and restores the backed-up files",
      fn: async () => {
        const list = ok(
          await run(box, ["restore", "--dir", clientDir, "--list"]),
          "restore --list",
        );
        for (const name of files.keys()) {
          assert.match(list.stdout, RegExp(name));
        }
        const out = join(box.work, "restored");
        await Deno.mkdir(out);
        ok(
          await run(box, ["restore", "--dir", clientDir, "--to", out]),
          "restore",
        );
        for (const [name, bytes] of files) {
          assertBytesEqual(await Deno.readFile(join(out, name)), bytes);
        }
      },
    });
  } finally {
    const status = await server.stop();
    assert.equal(
      status.code,
      0,
      `SIGTERM ends serve cleanly:\n${server.output()}`,
    );
  }
}
