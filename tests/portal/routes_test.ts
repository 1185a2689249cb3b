import assert from "node:assert/strict";
import { addClient, addFile, makeFixture, TestBrowser } from "./fixture.ts";
import { toHex } from "../../shared/encoding.ts";
import { contentDisposition } from "../../server/portal/download.ts";

const PAGES = ["/", "/clients", "/files", "/transfers", "/logs", "/settings"];

Deno.test("every page redirects to sign-in when signed out", async () => {
  const f = await makeFixture();
  try {
    for (
      const path of [...PAGES, "/clients/00112233445566778899aabbccddeeff"]
    ) {
      const response = await f.app.request(path);
      assert.equal(response.status, 303, path);
      const location = response.headers.get("location")!;
      assert.ok(location.startsWith("/login"), `${path} -> ${location}`);
      if (path !== "/") {
        assert.equal(
          new URL(location, "http://x").searchParams.get("next"),
          path,
        );
      }
    }
  } finally {
    await f.close();
  }
});

Deno.test("JSON and stream endpoints answer 401 instead of redirecting when signed out", async () => {
  const f = await makeFixture();
  try {
    for (const path of ["/api/v1/status", "/events/stats", "/events/logs"]) {
      const response = await f.app.request(path);
      assert.equal(response.status, 401, path);
      assert.deepEqual(await response.json(), { error: "Sign-in required" });
    }
  } finally {
    await f.close();
  }
});

Deno.test("every page renders for a signed-in administrator", async () => {
  const f = await makeFixture();
  const id = addClient(f.db, "alice");
  addFile(f.db, id, "report.pdf");
  try {
    const browser = new TestBrowser(f.app);
    assert.equal((await browser.signIn()).status, 303);
    for (const path of [...PAGES, `/clients/${toHex(id)}`]) {
      const response = await browser.request(path);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get("content-type")!, /text\/html/);
      const html = await response.text();
      assert.ok(html.startsWith("<!DOCTYPE html>"), path);
      assert.match(
        html,
        /<script type="module" src="\/static\/islands\/main.js"><\/script>/,
      );
    }
  } finally {
    await f.close();
  }
});

Deno.test("every response carries the security headers and no inline script", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    for (const path of ["/login", "/", "/health", "/nope"]) {
      const response = await browser.request(path);
      const csp = response.headers.get("content-security-policy")!;
      assert.match(csp, /script-src 'self'/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("x-frame-options"), "DENY");
      const body = await response.text();
      for (
        const script of body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)
      ) {
        const executable = !/type="application\/json"/.test(script[1]);
        if (executable) assert.equal(script[2], "", `inline script on ${path}`);
      }
    }
  } finally {
    await f.close();
  }
});

Deno.test("clients page searches, sorts and paginates", async () => {
  const f = await makeFixture();
  for (let i = 0; i < 60; i++) {
    addClient(f.db, `client-${String(i).padStart(2, "0")}`);
  }
  addClient(f.db, "zed-special");
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const first = await (await browser.request("/clients")).text();
    assert.match(first, /Showing 1–50 of 61/);
    assert.match(first, />client-00</);
    assert.doesNotMatch(first, />zed-special</);
    const second = await (await browser.request("/clients?page=2")).text();
    assert.match(second, /Showing 51–61 of 61/);
    assert.match(second, />zed-special</);
    const desc = await (await browser.request("/clients?sort=name&dir=desc"))
      .text();
    assert.ok(desc.indexOf(">zed-special<") < desc.indexOf(">client-59<"));
    const search = await (await browser.request("/clients?q=special")).text();
    assert.match(search, /Showing 1–1 of 1/);
    const bogus = await browser.request(
      "/clients?sort=Name;DROP%20TABLE%20clients&dir=sideways&page=-3",
    );
    assert.equal(bogus.status, 200);
  } finally {
    await f.close();
  }
});

Deno.test("client page shows its files and answers 404 for unknown or malformed ids", async () => {
  const f = await makeFixture();
  const id = addClient(f.db, "bob");
  addFile(f.db, id, "photos.tar", { size: 2048 });
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const html = await (await browser.request(`/clients/${toHex(id)}`)).text();
    assert.match(html, /<h1>bob<\/h1>/);
    assert.match(html, /photos.tar/);
    assert.equal(
      (await browser.request("/clients/00000000000000000000000000000000"))
        .status,
      404,
    );
    assert.equal((await browser.request("/clients/not-hex")).status, 404);
  } finally {
    await f.close();
  }
});

Deno.test("files page filters by client and verified state", async () => {
  const f = await makeFixture();
  const a = addClient(f.db, "alice");
  const b = addClient(f.db, "bob");
  addFile(f.db, a, "a-good.txt");
  addFile(f.db, a, "a-bad.txt", { verified: false });
  addFile(f.db, b, "b-good.txt");
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const all = await (await browser.request("/files")).text();
    assert.match(all, /of 3</);
    const ofA = await (await browser.request(`/files?client=${toHex(a)}`))
      .text();
    assert.match(ofA, /a-good.txt/);
    assert.doesNotMatch(ofA, /b-good.txt/);
    const unverified = await (await browser.request("/files?state=unverified"))
      .text();
    assert.match(unverified, /a-bad.txt/);
    assert.doesNotMatch(unverified, /a-good.txt/);
    const byName = await (await browser.request("/files?client=ALI")).text();
    assert.match(byName, /a-good.txt/);
    assert.doesNotMatch(byName, /b-good.txt/);
    const nobody = await (await browser.request("/files?client=xyz")).text();
    assert.doesNotMatch(nobody, /-good.txt/);
  } finally {
    await f.close();
  }
});

Deno.test("a file downloads as an attachment with its stored bytes", async () => {
  const f = await makeFixture();
  const id = addClient(f.db, "carol");
  const name = "notes; v2 & 100%.txt";
  addFile(f.db, id, name);
  await f.store.put(id, name, new TextEncoder().encode("hello backup"));
  addFile(f.db, id, "../escape.txt");
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const response = await browser.request(
      `/files/download?client=${toHex(id)}&name=${encodeURIComponent(name)}`,
    );
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "hello backup");
    assert.equal(
      response.headers.get("content-disposition"),
      `attachment; filename="notes; v2 & 100%.txt"; filename*=UTF-8''notes%3B%20v2%20%26%20100%25.txt`,
    );
    const missing = await browser.request(
      `/files/download?client=${toHex(id)}&name=nope`,
    );
    assert.equal(missing.status, 404, "no row");
    const refused = await browser.request(
      `/files/download?client=${toHex(id)}&name=${
        encodeURIComponent("../escape.txt")
      }`,
    );
    assert.equal(refused.status, 404, "a row whose name the store refuses");
  } finally {
    await f.close();
  }
});

Deno.test("content-disposition keeps non-ASCII names exact and quotes safe", () => {
  assert.equal(
    contentDisposition('été "x".txt'),
    `attachment; filename="_t_ _x_.txt"; filename*=UTF-8''%C3%A9t%C3%A9%20%22x%22.txt`,
  );
});

Deno.test("deleting a file removes its row and its stored copy, then returns to the list", async () => {
  const f = await makeFixture();
  const id = addClient(f.db, "dave");
  addFile(f.db, id, "old.log");
  await f.store.put(id, "old.log", new Uint8Array(10));
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const csrf = await browser.csrf();
    const response = await browser.post("/files/delete", {
      _csrf: csrf,
      client: toHex(id),
      name: "old.log",
      back: "/files?state=all",
    });
    assert.equal(response.status, 303);
    assert.equal(
      response.headers.get("location"),
      "/files?state=all&done=file-deleted",
    );
    assert.equal(
      (f.db.prepare("SELECT count(*) AS n FROM files").get() as { n: number })
        .n,
      0,
    );
    await assert.rejects(
      Deno.stat(f.store.pathOf(id, "old.log")),
      Deno.errors.NotFound,
    );
    const page =
      await (await browser.request(response.headers.get("location")!)).text();
    assert.match(page, /File deleted\./);
  } finally {
    await f.close();
  }
});

Deno.test("deleting a client removes it, its files and its folder", async () => {
  const f = await makeFixture();
  const id = addClient(f.db, "erin");
  addFile(f.db, id, "x.bin");
  await f.store.put(id, "x.bin", new Uint8Array(3));
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const response = await browser.post(`/clients/${toHex(id)}/delete`, {
      _csrf: await browser.csrf(),
    });
    assert.equal(response.status, 303);
    assert.equal(
      response.headers.get("location"),
      "/clients?done=client-deleted",
    );
    assert.equal(
      (f.db.prepare("SELECT count(*) AS n FROM clients").get() as { n: number })
        .n,
      0,
    );
    assert.equal(
      (f.db.prepare("SELECT count(*) AS n FROM files").get() as { n: number })
        .n,
      0,
    );
    await assert.rejects(
      Deno.stat(`${f.store.root}/${toHex(id)}`),
      Deno.errors.NotFound,
    );
    assert.equal(f.stats.snapshot().registeredClients, 0);
  } finally {
    await f.close();
  }
});

Deno.test("revoking a key clears the client's public and session keys", async () => {
  const f = await makeFixture();
  const id = addClient(f.db, "frank");
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const response = await browser.post(`/clients/${toHex(id)}/revoke`, {
      _csrf: await browser.csrf(),
    });
    assert.equal(response.status, 303);
    const row = f.db.prepare("SELECT PublicKey, AESKey FROM clients")
      .get() as Record<string, unknown>;
    assert.equal(row.PublicKey, null);
    assert.equal(row.AESKey, null);
  } finally {
    await f.close();
  }
});

Deno.test("transfers page lists history filtered by outcome", async () => {
  const f = await makeFixture();
  const id = addClient(f.db, "gina");
  const insert = f.db.prepare(
    "INSERT INTO transfers (ClientID, FileName, StartedAt, FinishedAt, Outcome, Bytes, Size, Attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  insert.run(
    id,
    "ok.bin",
    "2024-05-01T10:00:00.000Z",
    "2024-05-01T10:00:02.000Z",
    "verified",
    2097152,
    2097152,
    1,
  );
  insert.run(
    id,
    "bad.bin",
    "2024-05-01T11:00:00.000Z",
    "2024-05-01T11:00:01.000Z",
    "failed",
    100,
    100,
    3,
  );
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const all = await (await browser.request("/transfers")).text();
    assert.match(all, /ok.bin/);
    assert.match(all, /1.00 MiB\/s/);
    assert.match(all, /bad.bin/);
    const failed = await (await browser.request("/transfers?outcome=failed"))
      .text();
    assert.doesNotMatch(failed, /ok.bin/);
    assert.match(failed, /bad.bin/);
  } finally {
    await f.close();
  }
});

Deno.test("settings change the runtime limits and refuse values out of range", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const csrf = await browser.csrf();
    const ok = await browser.post("/settings", {
      _csrf: csrf,
      maxConnections: "250",
      idleTimeout: "90",
    });
    assert.equal(ok.status, 303);
    assert.deepEqual(f.limits, { maxConnections: 250, idleTimeoutMs: 90_000 });
    const bad = await browser.post("/settings", {
      _csrf: csrf,
      maxConnections: "0",
      idleTimeout: "abc",
    });
    assert.equal(bad.status, 400);
    const html = await bad.text();
    assert.match(html, /Max connections must be a whole number/);
    assert.match(html, /Idle timeout must be a whole number/);
    assert.deepEqual(f.limits, { maxConnections: 250, idleTimeoutMs: 90_000 });
  } finally {
    await f.close();
  }
});

Deno.test("unknown paths get a 404 page, or JSON under /api", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const page = await browser.request("/no-such-page");
    assert.equal(page.status, 404);
    assert.match(await page.text(), /There is no page at this address/);
    const api = await browser.request("/api/v1/nothing");
    assert.equal(api.status, 404);
    assert.deepEqual(await api.json(), { error: "Not found" });
  } finally {
    await f.close();
  }
});

Deno.test("the browser client's page, public and outside the admin pages, keeps the security headers", async () => {
  const f = await makeFixture();
  try {
    const response = await f.app.request("/backup");
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<title>Back up files/);
    assert.match(
      response.headers.get("content-security-policy")!,
      /script-src 'self'/,
    );
  } finally {
    await f.close();
  }
});
