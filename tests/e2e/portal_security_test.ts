/**
 * The admin portal's defences against the running server process over real
 * HTTP: no page or admin API without a session, CSRF tokens and the origin
 * checked on every form, no session fixation, cookie flags, sign-in
 * throttling, downloads that cannot leave storage, security headers on
 * every response.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ResponseCode } from "../../server/protocol/constants.ts";
import { ROUTES } from "../../server/portal/app.ts";
import { toHex } from "../../shared/encoding.ts";
import { note } from "../soak/helpers.ts";
import { Browser } from "./portal_http.ts";
import {
  adminPassword,
  clientDir,
  confirmChecksum,
  registerClient,
  startServer,
  type TestServer,
  uploadFile,
} from "./harness.ts";

/** A client with one verified file, so that admin actions have targets. */
async function seed(server: TestServer) {
  const client = await registerClient(server.port, "target");
  const received = await uploadFile(
    client,
    "report.txt",
    new TextEncoder().encode("the report"),
  );
  assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
  const ack = await confirmChecksum(client, "report.txt");
  assert.equal(ack?.code, ResponseCode.ACK);
  client.raw.close();
  return { hex: toHex(client.clientId), client };
}

const HEADERS: [string, RegExp][] = [
  ["content-security-policy", /default-src 'self'.*frame-ancestors 'none'/],
  ["x-content-type-options", /^nosniff$/],
  ["x-frame-options", /^DENY$/],
  ["referrer-policy", /^same-origin$/],
];

/** Every route under routes/(admin)/, which its _middleware.ts closes to strangers. */
const ADMIN_ROUTES = ROUTES.filter((r) => r.file.startsWith("(admin)/"));

function checkHeaders(what: string, response: Response): void {
  for (const [name, value] of HEADERS) {
    assert.match(response.headers.get(name) ?? "", value, `${what}: ${name}`);
  }
}

Deno.test("without a session every admin page, form and API call is refused, and no form takes effect", async () => {
  const server = await startServer();
  try {
    const { hex } = await seed(server);
    const strangers = [
      new Browser(server.httpPort),
      new Browser(server.httpPort),
    ];
    strangers[1].cookies.set("cb_session", "A".repeat(43)); // a guessed cookie
    let checked = 0;
    for (const route of ADMIN_ROUTES) {
      const path = route.pattern.replace(":id", hex);
      for (const method of Object.keys(route.module.handler ?? {})) {
        for (const browser of strangers) {
          const response = await browser.fetch(
            path,
            method === "POST"
              ? {
                form: { client: hex, name: "report.txt", _csrf: "x" },
              }
              : { method },
          );
          const body = await response.text();
          const json = path.startsWith("/api/") || path.startsWith("/events/");
          if (json) {
            assert.equal(response.status, 401, `${method} ${path}`);
          } else {
            assert.equal(response.status, 303, `${method} ${path}`);
            assert.match(response.headers.get("location") ?? "", /^\/login/);
          }
          assert.doesNotMatch(
            body,
            /target|report\.txt/,
            `${path} leaks nothing`,
          );
          checkHeaders(`${method} ${path}`, response);
          checked++;
        }
      }
    }
    note(
      `${checked} requests to ${ADMIN_ROUTES.length} admin routes refused without a valid session`,
    );
    // The forms had no effect: the client and its file are still there.
    const stored = await Deno.readTextFile(
      join(server.dataDir, "received_files", hex, "report.txt"),
    );
    assert.equal(stored, "the report");
    const admin = new Browser(server.httpPort);
    assert.equal((await admin.signIn(await adminPassword(server))).status, 303);
    const files = await (await admin.fetch("/files")).text();
    assert.match(files, /report\.txt/);
    const client = await (await admin.fetch(`/clients/${hex}`)).text();
    assert.match(client, /target/);
  } finally {
    await server.stop();
  }
});

Deno.test("sign-in and forms: CSRF and origin checked, a fresh session id, HttpOnly SameSite=Strict cookies, sign-out ends the session", async () => {
  const server = await startServer();
  try {
    const { hex } = await seed(server);
    const password = await adminPassword(server);
    const browser = new Browser(server.httpPort);

    // The sign-in form needs its own token and this origin.
    const token = await browser.token("/login");
    const loginCookie = browser.lastSetCookies.find((c) =>
      c.startsWith("cb_login=")
    );
    assert.ok(loginCookie);
    assert.match(loginCookie, /HttpOnly/i);
    assert.match(loginCookie, /SameSite=Strict/i);
    const noToken = await browser.fetch("/login", {
      form: { user: "admin", password },
    });
    assert.equal(noToken.status, 403);
    const otherOrigin = await browser.fetch("/login", {
      form: { _csrf: token, user: "admin", password },
      origin: "http://evil.example",
    });
    assert.equal(otherOrigin.status, 403);
    assert.ok(!browser.cookies.has("cb_session"));

    // A session id planted before sign-in is never adopted.
    const planted = "P".repeat(43);
    browser.cookies.set("cb_session", planted);
    const signedIn = await browser.signIn(password, "//evil.example/steal");
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get("location"), "/", "no open redirect");
    const sessionCookie = browser.lastSetCookies.find((c) =>
      c.startsWith("cb_session=")
    );
    assert.ok(sessionCookie, "a session cookie is set");
    assert.match(sessionCookie, /HttpOnly/i);
    assert.match(sessionCookie, /SameSite=Strict/i);
    assert.match(sessionCookie, /Path=\//i);
    const id = browser.cookies.get("cb_session")!;
    assert.notEqual(id, planted);
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    const fixated = new Browser(server.httpPort);
    fixated.cookies.set("cb_session", planted);
    assert.equal((await fixated.fetch("/")).status, 303);
    assert.equal((await browser.fetch("/")).status, 200);
    note(`session cookie: ${sessionCookie.replace(/=[^;]+/, "=<43 chars>")}`);

    // Every form checks the session's token and the origin.
    const formToken = await browser.token("/files");
    const target = { client: hex, name: "report.txt", back: "/files" };
    const path = join(server.dataDir, "received_files", hex, "report.txt");
    for (
      const [what, form, origin] of [
        ["no token", target, undefined],
        ["the sign-in token", { ...target, _csrf: token }, undefined],
        [
          "another origin",
          { ...target, _csrf: formToken },
          "http://evil.example",
        ],
      ] as const
    ) {
      const refused = await browser.fetch("/files/delete", { form, origin });
      assert.equal(refused.status, 403, what);
      assert.equal(await Deno.readTextFile(path), "the report", what);
    }
    const revoke = await browser.fetch(`/clients/${hex}/revoke`, {
      form: { _csrf: "forged" },
    });
    assert.equal(revoke.status, 403);
    const deleted = await browser.fetch("/files/delete", {
      form: { ...target, _csrf: formToken },
    });
    assert.equal(deleted.status, 303, "the right token is the only key");
    await assert.rejects(() => Deno.stat(path), Deno.errors.NotFound);

    // Sign-out is a form too, and ends the session on the server.
    assert.equal((await browser.fetch("/logout", { form: {} })).status, 403);
    const out = await browser.fetch("/logout", { form: { _csrf: formToken } });
    assert.equal(out.status, 303);
    const replay = new Browser(server.httpPort);
    replay.cookies.set("cb_session", id);
    assert.equal((await replay.fetch("/")).status, 303, "the old id is dead");
  } finally {
    await server.stop();
  }
});

Deno.test("downloads cannot leave storage: traversal names and bad client ids get 404", async () => {
  const server = await startServer();
  const outside = await Deno.makeTempDir({ prefix: "cb-outside-" });
  try {
    const { hex } = await seed(server);
    await Deno.writeTextFile(join(outside, "secret.txt"), "top secret");
    const browser = new Browser(server.httpPort);
    assert.equal(
      (await browser.signIn(await adminPassword(server))).status,
      303,
    );
    const download = (clientHex: string, name: string) =>
      browser.fetch(
        `/files/download?client=${encodeURIComponent(clientHex)}&name=${
          encodeURIComponent(name)
        }`,
      );
    const ok = await download(hex, "report.txt");
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "the report");
    assert.match(ok.headers.get("content-disposition") ?? "", /^attachment;/);
    checkHeaders("download", ok);
    for (
      const [clientHex, name] of [
        [hex, "../../../../../../etc/passwd"],
        [hex, `../${hex}/report.txt`],
        [hex, join(outside, "secret.txt")],
        [hex, "..\\..\\secret.txt"],
        [hex, "report.txt\0.png"],
        ["../..", "etc/passwd"],
        [`${hex}/..`, "report.txt"],
        ["", "report.txt"],
      ]
    ) {
      const response = await download(clientHex, name);
      assert.equal(response.status, 404, `${clientHex} ${name}`);
      assert.doesNotMatch(await response.text(), /root:|top secret/);
    }
  } finally {
    await server.stop();
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("a download never follows a symlink planted where a recorded file was", async () => {
  const server = await startServer();
  const outside = await Deno.makeTempDir({ prefix: "cb-outside-" });
  try {
    const { hex, client } = await seed(server);
    await Deno.writeTextFile(join(outside, "secret.txt"), "top secret");
    const browser = new Browser(server.httpPort);
    assert.equal(
      (await browser.signIn(await adminPassword(server))).status,
      303,
    );
    const stored = join(clientDir(server, client.clientId), "report.txt");
    await Deno.remove(stored);
    await Deno.symlink(join(outside, "secret.txt"), stored);
    const linked = await browser.fetch(
      `/files/download?client=${hex}&name=report.txt`,
    );
    assert.doesNotMatch(await linked.text(), /top secret/);
    assert.equal(linked.status, 404);
  } finally {
    await server.stop();
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("security headers are on pages, redirects, errors, static files, JSON and health checks", async () => {
  const server = await startServer();
  try {
    const browser = new Browser(server.httpPort);
    const paths = [
      ["/login", 200],
      ["/", 303],
      ["/no/such/page", 404],
      ["/static/style.css", 200],
      ["/api/v1/status", 401],
      ["/health", 200],
      ["/backup", 200],
    ] as const;
    for (const [path, status] of paths) {
      const response = await browser.fetch(path);
      await response.body?.cancel();
      assert.equal(response.status, status, path);
      checkHeaders(path, response);
    }
    const page = await browser.fetch("/login");
    const html = await page.text();
    assert.doesNotMatch(html, /<script>(?!\s*$)/, "no inline script");
    assert.match(
      page.headers.get("content-security-policy")!,
      /script-src 'self'/,
    );
    assert.equal(page.headers.get("cache-control"), "no-store");
    note(`CSP: ${page.headers.get("content-security-policy")}`);
  } finally {
    await server.stop();
  }
});

Deno.test("sign-in is throttled per address: after 5 failures even the right password waits", async () => {
  const server = await startServer();
  try {
    const password = await adminPassword(server);
    const browser = new Browser(server.httpPort);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await browser.signIn(`wrong-${i}`);
      await response.body?.cancel();
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    const right = await browser.signIn(password);
    const html = await right.text();
    assert.equal(right.status, 429, "throttled even with the right password");
    const retryAfter = Number(right.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.match(html, /Too many failed attempts/);
    assert.ok(!browser.cookies.has("cb_session"));
    note(`6th and later sign-ins: 429, Retry-After ${retryAfter} s`);
  } finally {
    await server.stop();
  }
});
