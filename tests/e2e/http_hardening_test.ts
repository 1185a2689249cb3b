/**
 * The HTTP side against hostile peers, on a real server process: huge and
 * endless bodies, descriptor exhaustion, foreign Host and Origin headers,
 * and sign-in sessions across a restart and a password change.
 */
import assert from "node:assert/strict";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import {
  adminPassword,
  RawClient,
  startServer,
  type TestServer,
} from "./harness.ts";
import { Browser } from "./portal_http.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Resident memory of a process in KiB, from /proc. */
async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

/** Signs in over real HTTP; returns the session cookie ("cb_session=..."). */
async function signIn(port: number, password: string): Promise<string> {
  const browser = new Browser(port);
  const posted = await browser.signIn(password);
  await posted.body?.cancel();
  assert.equal(posted.status, 303, "signed in");
  const session = browser.cookies.get("cb_session");
  assert.ok(session, "a session cookie");
  return `cb_session=${session}`;
}

/** The status of GET `path` with `cookie` (303 means "sign in first"). */
async function statusOf(
  port: number,
  path: string,
  cookie: string,
): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: { cookie },
    redirect: "manual",
  });
  await response.body?.cancel();
  return response.status;
}

/**
 * Sends a request head (and, optionally, an endless chunked body until the
 * server answers) on a new connection; returns the answer's head and how
 * long it took to come.
 */
async function rawExchange(
  port: number,
  head: string,
  body?: { chunkBytes: number; maxBytes: number },
  ms = 20_000,
): Promise<{ answer: string; sent: number; elapsedMs: number }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const started = performance.now();
  let answer = "";
  let answered = false;
  let elapsedMs = Infinity;
  let onAnswer: () => void = () => {};
  const firstAnswer = new Promise<void>((resolve) => onAnswer = resolve);
  const reading = (async () => {
    const buffer = new Uint8Array(4096);
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        answer += decoder.decode(buffer.subarray(0, n));
        if (!answered) elapsedMs = performance.now() - started;
        answered = true;
        if (/\r\n\r\n/.test(answer)) onAnswer();
      }
    } catch { /* reset by the server */ }
  })();
  let sent = 0;
  try {
    await conn.write(new TextEncoder().encode(head));
    if (body) {
      const chunk = new Uint8Array(body.chunkBytes).fill(0x61);
      const frame = new TextEncoder().encode(
        `${body.chunkBytes.toString(16)}\r\n`,
      );
      while (!answered && sent < body.maxBytes) {
        await conn.write(frame);
        await conn.write(chunk);
        await conn.write(new TextEncoder().encode("\r\n"));
        sent += chunk.length;
      }
    }
  } catch { /* the server closed the connection mid-body: expected */ }
  // The server may keep the connection open after its answer: the head is enough.
  await Promise.race([
    reading,
    firstAnswer,
    new Promise((resolve) => setTimeout(resolve, ms)),
  ]);
  try {
    conn.close();
  } catch { /* closed */ }
  await reading;
  return { answer, sent, elapsedMs };
}

async function healthy(server: TestServer): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${server.httpPort}/health`);
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

Deno.test("a 64 MiB streamed sign-in body gets 413 after a few KiB, a huge Content-Length at once, and the server lives on", async () => {
  const server = await startServer();
  try {
    const pid = server.child.pid;
    const before = await rssKiB(pid);
    const streamed = await rawExchange(
      server.httpPort,
      "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
        "Content-Type: application/x-www-form-urlencoded\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n",
      { chunkBytes: 64 * 1024, maxBytes: 64 * 1024 * 1024 },
    );
    assert.match(streamed.answer, /^HTTP\/1\.1 413/);
    assert.ok(
      streamed.sent < 16 * 1024 * 1024,
      `the client got to send ${streamed.sent} bytes`,
    );
    const lying = await rawExchange(
      server.httpPort,
      "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
        "Content-Type: application/x-www-form-urlencoded\r\n" +
        `Content-Length: ${512 * 1024 * 1024}\r\n\r\nuser=admin&password=`,
    );
    assert.match(lying.answer, /^HTTP\/1\.1 413/);
    assert.ok(lying.elapsedMs < 5000, `answered in ${lying.elapsedMs} ms`);
    const api = await rawExchange(
      server.httpPort,
      "POST /api/v1/register HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      { chunkBytes: 64 * 1024, maxBytes: 64 * 1024 * 1024 },
    );
    assert.match(api.answer, /^HTTP\/1\.1 413/);
    const grown = (await rssKiB(pid)) - before;
    assert.ok(grown < 48 * 1024, `the server grew by ${grown} KiB`);
    assert.equal(await healthy(server), true);
  } finally {
    await server.stop();
  }
});

Deno.test("with 256 descriptors, half-sent HTTP requests do not stop the process: TCP registers and /health answers after they close", async () => {
  const server = await startServer();
  const conns: Deno.Conn[] = [];
  try {
    const limit = await new Deno.Command("prlimit", {
      args: ["--pid", String(server.child.pid), "--nofile=256:256"],
    }).output();
    assert.equal(limit.code, 0, new TextDecoder().decode(limit.stderr));
    const head = new TextEncoder().encode(
      "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nab",
    );
    let refused = 0;
    for (let i = 0; i < 400 && refused < 20; i++) {
      try {
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: server.httpPort,
        });
        conns.push(conn);
        await conn.write(head).catch(() => {});
      } catch {
        refused++;
      }
    }
    // Let the server hit the limit and handle (or fail) its accept loop.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const conn of conns.splice(0)) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    // The limit was reached (the server says so, whether it survives or not).
    await server.waitForOutput(/Too many open files/);
    let exited = false;
    server.child.status.then(() => exited = true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(exited, false, `the server exited:\n${server.output()}`);
    const raw = await RawClient.connect(server.port);
    try {
      const registered = await raw.request({
        code: RequestCode.REGISTER,
        clientId: new Uint8Array(16),
        name: "after-the-flood",
      });
      assert.equal(registered?.code, ResponseCode.REGISTER_OK);
    } finally {
      raw.close();
    }
    let ok = false;
    for (let i = 0; i < 75 && !ok; i++) {
      ok = await healthy(server);
      if (!ok) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(ok, true, `/health never answered:\n${server.output()}`);
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    await server.stop();
  }
});

Deno.test("a DNS-rebinding Host and a cross-origin text/plain POST are refused by the real server", async () => {
  const server = await startServer();
  try {
    const rebound = await rawExchange(
      server.httpPort,
      "GET /api/v1/info HTTP/1.1\r\nHost: rebind.attacker.example\r\nConnection: close\r\n\r\n",
    );
    assert.match(rebound.answer, /^HTTP\/1\.1 421/);
    const base = `http://127.0.0.1:${server.httpPort}`;
    const foreign = await fetch(`${base}/api/v1/register`, {
      method: "POST",
      headers: {
        origin: "https://attacker.example",
        "content-type": "text/plain;charset=UTF-8",
      },
      body: JSON.stringify({ name: "victim" }),
    });
    await foreign.body?.cancel();
    assert.equal(foreign.status, 403);
    const plain = await fetch(`${base}/api/v1/register`, {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8" },
      body: JSON.stringify({ name: "victim" }),
    });
    await plain.body?.cancel();
    assert.equal(plain.status, 415);
    const json = await fetch(`${base}/api/v1/register`, {
      method: "POST",
      headers: { origin: base, "content-type": "application/json" },
      body: JSON.stringify({ name: "welcome" }),
    });
    await json.body?.cancel();
    assert.equal(json.status, 201, "a same-origin JSON post still works");
  } finally {
    await server.stop();
  }
});

Deno.test("a portal sign-in survives a restart; set-password ends it and its open log stream", async () => {
  const first = await startServer();
  let second: TestServer | undefined;
  try {
    const password = await adminPassword(first);
    const cookie = await signIn(first.httpPort, password);
    assert.equal(await statusOf(first.httpPort, "/settings", cookie), 200);
    await first.stop();
    second = await startServer({ dataDir: first.dataDir });
    const port = second.httpPort;
    assert.equal(
      await statusOf(port, "/settings", cookie),
      200,
      "still signed in after the restart",
    );
    const stream = await fetch(`http://127.0.0.1:${port}/events/logs`, {
      headers: { cookie },
    });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    await reader.read();
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        MAIN,
        "admin",
        "set-password",
        "--password-stdin",
      ],
      env: { CYBERBACKUP_DATA_DIR: first.dataDir },
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const writer = command.stdin.getWriter();
    await writer.write(new TextEncoder().encode("a brand new password\n"));
    await writer.close();
    const changed = await command.output();
    assert.equal(
      changed.code,
      0,
      new TextDecoder().decode(changed.stderr),
    );
    const ended = await Promise.race([
      (async () => {
        for (;;) if ((await reader.read()).done) return true;
      })(),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 5000)),
    ]);
    if (!ended) await reader.cancel();
    assert.equal(ended, true, "the log stream outlived the password change");
    assert.equal(await statusOf(port, "/settings", cookie), 303);
    await signIn(port, "a brand new password");
  } finally {
    await second?.stop();
    await first.stop();
  }
});
