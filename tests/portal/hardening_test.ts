import assert from "node:assert/strict";
import { SignInThrottle } from "../../server/portal/auth/throttle.ts";
import { safeNext } from "../../server/portal/security.ts";
import { hiddenField, makeFixture, PASSWORD, TestBrowser } from "./fixture.ts";

Deno.test("next= only ever leads to a path on this site, and odd values go to / without an error", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    const hostile = [
      "/%09/other-host.example/x",
      "/\t/other-host.example/x",
      "//evil.example",
      "\\\\evil.example",
      "/\\evil.example",
      "/\n/evil.example",
      "https://evil.example/",
      "javascript:alert(1)",
    ];
    for (const next of hostile) {
      const form = await browser.request(
        `/login?next=${encodeURIComponent(next)}`,
      );
      assert.equal(form.status, 200, JSON.stringify(next));
      const html = await form.text();
      const echoed = hiddenField(html, "next");
      assert.ok(
        echoed === "/" || new URL(echoed, "http://x").host === "x",
        `form keeps ${JSON.stringify(echoed)} for ${JSON.stringify(next)}`,
      );
    }
    await browser.signIn();
    for (const next of [...hostile, "/files\r\nSet-Cookie: a=b"]) {
      const response = await browser.request(
        `/login?next=${encodeURIComponent(next)}`,
      );
      assert.equal(response.status, 303, JSON.stringify(next));
      const location = response.headers.get("location")!;
      assert.equal(
        new URL(location, "http://portal.test").origin,
        "http://portal.test",
        `${JSON.stringify(next)} led to ${location}`,
      );
      assert.doesNotMatch(location, /[\r\n\t]/);
    }
    const kept = await browser.request(
      `/login?next=${encodeURIComponent("/files?state=verified#top")}`,
    );
    assert.equal(kept.headers.get("location"), "/files?state=verified#top");
  } finally {
    await f.close();
  }
});

Deno.test("safeNext rebuilds the path from a parsed URL", () => {
  assert.equal(safeNext("/%09/evil"), "/%09/evil", "still encoded: a path");
  assert.equal(safeNext("/\t/evil"), "/");
  assert.equal(safeNext("/a b"), "/a%20b");
  assert.equal(safeNext(undefined), "/");
  // Dot segments that normalise into a protocol-relative path.
  assert.equal(safeNext("/.//evil.example/x"), "/");
  assert.equal(safeNext("/..//evil.example"), "/");
  assert.equal(safeNext("/a/..//evil.example"), "/");
  assert.equal(safeNext("/./\\evil.example"), "/");
});

Deno.test("wrong passwords sent all at once are throttled like ones sent in turn", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app, "203.0.113.9");
    const form = await (await browser.request("/login")).text();
    const csrf = hiddenField(form, "_csrf");
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        browser.post("/login", {
          _csrf: csrf,
          user: "admin",
          password: `guess ${i}`,
          next: "/",
        })),
    );
    const statuses = answers.map((answer) => answer.status);
    const checked = statuses.filter((status) => status !== 429).length;
    // Five failures are free per address; every attempt past them waits.
    assert.ok(checked <= 5, `${checked} of 20 checked: ${statuses.join()}`);
  } finally {
    await f.close();
  }
});

Deno.test("behind a trusted proxy, one wrong attempt every 12 s from one client never locks out the administrator at another", async () => {
  let now = 1_000_000;
  const f = await makeFixture({
    config: { trustedProxy: "10.0.0.0/8" },
    auth: { throttle: new SignInThrottle({ now: () => now }) },
  });
  try {
    const proxy = "10.0.0.2";
    const attacker = new TestBrowser(f.app, proxy);
    const admin = new TestBrowser(f.app, proxy);
    const via = (client: string) => ({ "x-forwarded-for": client });
    const attempt = async (
      browser: TestBrowser,
      client: string,
      password: string,
    ) => {
      const form = await (await browser.request("/login", {
        headers: via(client),
      })).text();
      return browser.post("/login", {
        _csrf: hiddenField(form, "_csrf"),
        user: "admin",
        password,
        next: "/",
      }, via(client));
    };
    const statuses = new Set<number>();
    for (let i = 0; i < 30; i++, now += 12_000) {
      statuses.add(
        (await attempt(attacker, "203.0.113.7", `guess ${i}`)).status,
      );
    }
    assert.ok(statuses.has(429), "the attacker's own address is throttled");
    const signedIn = await attempt(admin, "198.51.100.1", PASSWORD);
    assert.equal(signedIn.status, 303, "the administrator gets in");
    // A client that is not a trusted proxy cannot pick its address.
    const direct = new TestBrowser(f.app, "203.0.113.7");
    const spoofed = await attempt(direct, "198.51.100.99", "guess");
    assert.equal(
      spoofed.status,
      429,
      "X-Forwarded-For from a stranger is ignored",
    );
  } finally {
    await f.close();
  }
});

Deno.test("/metrics keeps a bounded number of series whatever methods and paths strangers send", async () => {
  const f = await makeFixture();
  try {
    const random = () =>
      Array.from(
        crypto.getRandomValues(new Uint8Array(200)),
        (b) => String.fromCharCode(65 + (b % 26)),
      ).join("");
    for (let i = 0; i < 200; i++) {
      await (await f.app.request(`/${random()}`, { method: random() }))
        .body?.cancel();
    }
    const text = await (await f.app.request("/metrics")).text();
    const series = new Set(
      text.split("\n").filter((line) =>
        line.startsWith("cyberbackup_http_request_duration_seconds_count")
      ),
    );
    assert.ok(
      series.size <= 3,
      `${series.size} series:\n${[...series].join("\n")}`,
    );
    assert.match(text, /method="other",route="unmatched"/);
    assert.ok(text.length < 20_000, `${text.length} bytes of metrics`);
  } finally {
    await f.close();
  }
});

Deno.test("form bodies are bounded: a large sign-in post gets 413 and is not parsed", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    const big = await browser.post("/login", {
      user: "admin",
      password: "x".repeat(64 * 1024),
    });
    assert.equal(big.status, 413);
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 4096;
        controller.enqueue(new Uint8Array(4096).fill(0x61));
      },
    });
    const streamed = await f.app.request("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: endless,
      // @ts-ignore: Deno's Request needs this for a stream body
      duplex: "half",
    });
    assert.equal(streamed.status, 413);
    assert.ok(sent < 64 * 1024, `read ${sent} bytes of an endless body`);
  } finally {
    await f.close();
  }
});

Deno.test("a request for a host name the server does not go by gets 421 (DNS rebinding)", async () => {
  const f = await makeFixture({
    config: { publicNames: "backup.example.org" },
  });
  try {
    const rebound = await f.app.request(
      "http://attacker.example/api/v1/status",
    );
    assert.equal(rebound.status, 421);
    const health = await f.app.request("http://attacker.example:9090/health");
    assert.equal(health.status, 421);
    for (
      const host of [
        "localhost",
        "127.0.0.1:9090",
        "[::1]:9090",
        "backup.example.org",
        "BACKUP.example.org.",
      ]
    ) {
      const ok = await f.app.request(`http://${host}/health`);
      assert.equal(ok.status, 200, host);
      await ok.body?.cancel();
    }
  } finally {
    await f.close();
  }
});

Deno.test("sign out everywhere ends this administrator's sessions in every browser", async () => {
  const f = await makeFixture();
  try {
    const laptop = new TestBrowser(f.app, "192.0.2.10");
    const phone = new TestBrowser(f.app, "192.0.2.11");
    await laptop.signIn();
    await phone.signIn();
    const settings = await (await laptop.request("/settings")).text();
    assert.match(settings, /Sign out everywhere/);
    const refused = await laptop.post("/logout", { everywhere: "1" });
    assert.equal(refused.status, 403, "CSRF-protected");
    assert.equal((await phone.request("/settings")).status, 200);
    const done = await laptop.post("/logout", {
      _csrf: await laptop.csrf(),
      everywhere: "1",
    });
    assert.equal(done.status, 303);
    assert.equal((await phone.request("/settings")).status, 303);
    assert.equal((await laptop.request("/settings")).status, 303);
  } finally {
    await f.close();
  }
});

Deno.test("an open live-log stream ends when its session signs out", async () => {
  const f = await makeFixture();
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const csrf = await browser.csrf();
    const stream = await browser.request("/events/logs");
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    await reader.read();
    await browser.post("/logout", { _csrf: csrf });
    const started = Date.now();
    const ended = await Promise.race([
      (async () => {
        for (;;) if ((await reader.read()).done) return true;
      })(),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 5000)),
    ]);
    assert.equal(ended, true, "the stream still ran 5 s after sign-out");
    assert.ok(Date.now() - started < 3000);
  } finally {
    await f.close();
  }
});

Deno.test("changing the password in the portal signs out every other session and keeps this one", async () => {
  const f = await makeFixture();
  try {
    const laptop = new TestBrowser(f.app, "192.0.2.10");
    const phone = new TestBrowser(f.app, "192.0.2.11");
    await laptop.signIn();
    await phone.signIn();
    const csrf = await laptop.csrf();
    const wrong = await laptop.post("/password", {
      _csrf: csrf,
      current: "not it",
      password: "a brand new password",
      confirm: "a brand new password",
    });
    assert.equal(wrong.status, 403);
    assert.equal((await phone.request("/settings")).status, 200);
    const differ = await laptop.post("/password", {
      _csrf: csrf,
      current: PASSWORD,
      password: "a brand new password",
      confirm: "another new password",
    });
    assert.equal(differ.status, 400);
    const changed = await laptop.post("/password", {
      _csrf: csrf,
      current: PASSWORD,
      password: "a brand new password",
      confirm: "a brand new password",
    });
    assert.equal(changed.status, 200);
    assert.match(await changed.text(), /Password changed/);
    assert.equal((await laptop.request("/settings")).status, 200);
    assert.equal((await phone.request("/settings")).status, 303);
    assert.equal(
      (await phone.signIn()).status,
      401,
      "the old password is gone",
    );
    assert.equal((await phone.signIn("a brand new password")).status, 303);
  } finally {
    await f.close();
  }
});

Deno.test("an open stats stream ends when its session expires", async () => {
  const f = await makeFixture({
    sessionLifetime: { idleMs: 1500, absoluteMs: 60_000 },
  });
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const stream = await browser.request("/events/stats");
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    const ended = await Promise.race([
      (async () => {
        for (;;) if ((await reader.read()).done) return true;
      })(),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 6000)),
    ]);
    if (!ended) await reader.cancel();
    assert.equal(ended, true, "the stream outlived its session by 4 s");
  } finally {
    await f.close();
  }
});
