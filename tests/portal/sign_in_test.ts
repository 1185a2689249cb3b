import assert from "node:assert/strict";
import { hiddenField, makeFixture, PASSWORD, TestBrowser } from "./fixture.ts";

Deno.test("signing in sets an HttpOnly SameSite=Strict session cookie and leads to the page asked for", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    const redirected = await browser.request("/files?state=verified");
    assert.equal(
      redirected.headers.get("location"),
      "/login?next=%2Ffiles%3Fstate%3Dverified",
    );
    const form =
      await (await browser.request(redirected.headers.get("location")!)).text();
    assert.equal(hiddenField(form, "next"), "/files?state=verified");
    const response = await browser.post("/login", {
      _csrf: hiddenField(form, "_csrf"),
      user: "admin",
      password: PASSWORD,
      next: "/files?state=verified",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/files?state=verified");
    const cookie = response.headers.getSetCookie().find((c) =>
      c.startsWith("cb_session=")
    )!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.equal((await browser.request("/files")).status, 200);
  } finally {
    await f.close();
  }
});

Deno.test("sign-in never redirects to another site", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    const form = await (await browser.request("/login")).text();
    const response = await browser.post("/login", {
      _csrf: hiddenField(form, "_csrf"),
      user: "admin",
      password: PASSWORD,
      next: "//evil.example/",
    });
    assert.equal(response.headers.get("location"), "/");
  } finally {
    await f.close();
  }
});

Deno.test("a wrong password is refused with 401 and no session", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    const response = await browser.signIn("wrong password");
    assert.equal(response.status, 401);
    assert.match(await response.text(), /Wrong user name or password/);
    assert.equal(browser.cookies.has("cb_session"), false);
    const unknown = await browser.signIn(PASSWORD, "root");
    assert.equal(unknown.status, 401);
  } finally {
    await f.close();
  }
});

Deno.test("after five wrong passwords in a minute an address must wait, even with the right one", async () => {
  const f = await makeFixture();
  try {
    const attacker = new TestBrowser(f.app, "203.0.113.7");
    for (let i = 0; i < 5; i++) {
      assert.equal((await attacker.signIn(`guess ${i}`)).status, 401);
    }
    const blocked = await attacker.signIn();
    assert.equal(blocked.status, 429);
    const wait = Number(blocked.headers.get("retry-after"));
    assert.ok(wait > 0 && wait <= 60, `Retry-After ${wait}`);
    assert.match(await blocked.text(), /Too many failed attempts/);
    assert.equal(attacker.cookies.has("cb_session"), false);
    const other = new TestBrowser(f.app, "198.51.100.1");
    assert.equal(
      (await other.signIn()).status,
      303,
      "another address is not throttled",
    );
  } finally {
    await f.close();
  }
});

Deno.test("the sign-in form is refused without its CSRF token or from another origin", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    const form = await (await browser.request("/login")).text();
    const token = hiddenField(form, "_csrf");
    const missing = await browser.post("/login", {
      user: "admin",
      password: PASSWORD,
    });
    assert.equal(missing.status, 403);
    const stranger = new TestBrowser(f.app);
    const forged = await stranger.post("/login", {
      _csrf: token,
      user: "admin",
      password: PASSWORD,
    });
    assert.equal(forged.status, 403, "token without its cookie");
    const crossSite = await browser.post("/login", {
      _csrf: token,
      user: "admin",
      password: PASSWORD,
    }, {
      origin: "https://evil.example",
    });
    assert.equal(crossSite.status, 403);
    assert.equal(browser.cookies.has("cb_session"), false);
  } finally {
    await f.close();
  }
});

Deno.test("state-changing forms are refused without the session's CSRF token", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const csrf = await browser.csrf();
    const attempts: [
      string,
      Record<string, string>,
      Record<string, string>?,
    ][] = [
      ["/settings", { maxConnections: "5", idleTimeout: "5" }],
      ["/settings", { _csrf: "forged", maxConnections: "5", idleTimeout: "5" }],
      ["/settings", { _csrf: csrf, maxConnections: "5", idleTimeout: "5" }, {
        origin: "https://evil.example",
      }],
      ["/files/delete", { client: "00".repeat(16), name: "x" }],
      ["/clients/00112233445566778899aabbccddeeff/delete", {}],
      ["/clients/00112233445566778899aabbccddeeff/revoke", {}],
      ["/logout", {}],
    ];
    for (const [path, fields, headers] of attempts) {
      const response = await browser.post(path, fields, headers);
      assert.equal(response.status, 403, path);
      assert.match(await response.text(), /This form has expired/);
    }
    assert.equal(f.limits.maxConnections, 100, "settings unchanged");
    assert.equal((await browser.request("/")).status, 200, "still signed in");
  } finally {
    await f.close();
  }
});

Deno.test("signing out ends the session", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const oldCookie = browser.cookies.get("cb_session")!;
    const response = await browser.post("/logout", {
      _csrf: await browser.csrf(),
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/login");
    assert.equal(browser.cookies.has("cb_session"), false);
    browser.cookies.set("cb_session", oldCookie);
    assert.equal(
      (await browser.request("/")).status,
      303,
      "the old cookie no longer works",
    );
  } finally {
    await f.close();
  }
});

Deno.test("a signed-in administrator visiting the sign-in page goes to the dashboard", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const response = await browser.request("/login");
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/");
  } finally {
    await f.close();
  }
});
