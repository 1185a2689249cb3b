/**
 * A start that fails (a port taken) changes nothing a later start needs:
 * the admin password, made only once both sides listen, is shown then.
 */
import assert from "node:assert/strict";
import { adminCommandHint } from "../../main.ts";
import { adminPassword, serveArgs, startServer } from "./harness.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Runs `serve` to its end (a start that should fail) and collects its output. */
async function serveUntilExit(
  dataDir: string,
  ports: { port?: number; httpPort?: number },
): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: serveArgs(dataDir, ports),
    cwd: dataDir,
    stdout: "piped",
    stderr: "piped",
    // A server that wrongly starts would run until killed.
    signal: AbortSignal.timeout(20_000),
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

Deno.test("a start that fails on a taken portal port exits 1, and the next start still shows the admin password", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cb-e2e-" });
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { code, output } = await serveUntilExit(dataDir, {
      httpPort: (taken.addr as Deno.NetAddr).port,
    });
    assert.equal(code, 1, output);
    assert.match(
      output,
      /Cannot start server: Cannot listen on 127\.0\.0\.1:\d+ for the portal: .*in use.*--http-port/i,
    );
    assert.doesNotMatch(output, /password:/);
  } finally {
    taken.close();
  }
  const server = await startServer({ dataDir });
  try {
    assert.match(await adminPassword(server), /^\S{12,}$/);
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a second server on the protocol port of a running one refuses to start instead of sharing it", async () => {
  const first = await startServer();
  const dataDir = await Deno.makeTempDir({ prefix: "cb-e2e-" });
  try {
    const { code, output } = await serveUntilExit(dataDir, {
      port: first.port,
    });
    assert.equal(code, 1, output);
    assert.match(
      output,
      new RegExp(
        `Cannot listen on 127\\.0\\.0\\.1:${first.port}: .*in use.*--port`,
        "i",
      ),
    );
    assert.doesNotMatch(output, /Protocol server listening/);
  } finally {
    await first.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("an unknown command exits 2 naming the commands", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "srve"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 2);
  assert.match(
    new TextDecoder().decode(stderr),
    /unknown command "srve"; the commands are serve, backup, restore, admin/,
  );
});

Deno.test("the first-start banner run from source names the deno command that changes the password", async () => {
  const server = await startServer();
  try {
    await adminPassword(server);
    assert.match(
      server.output(),
      /Change it with: deno run -A \S+\/main\.ts admin set-password/,
    );
  } finally {
    await server.stop();
  }
});

Deno.test("adminCommandHint() names the compiled executable by its own name", () => {
  assert.equal(
    adminCommandHint(
      "/usr/local/bin/cyberbackup",
      "file:///x/main.ts",
      "set-password",
    ),
    "cyberbackup admin set-password",
  );
  assert.equal(
    adminCommandHint("/usr/bin/deno", "file:///src/cb/main.ts", "set-password"),
    "deno run -A /src/cb/main.ts admin set-password",
  );
});
