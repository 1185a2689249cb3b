import assert from "node:assert/strict";
import { makeFixture, TestBrowser } from "./fixture.ts";

Deno.test("/health answers 200 without sign-in while TCP and database are up, else 503", async () => {
  const f = await makeFixture();
  try {
    const ok = await f.app.request("/health");
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), {
      status: "ok",
      tcp: true,
      database: true,
      version: "0.1.0-test",
    });
    f.healthState.tcp = false;
    const down = await f.app.request("/health");
    assert.equal(down.status, 503);
    assert.deepEqual(await down.json(), {
      status: "unavailable",
      tcp: false,
      database: true,
      version: "0.1.0-test",
    });
    f.healthState.tcp = true;
    f.healthState.database = false;
    assert.equal((await f.app.request("/health")).status, 503);
  } finally {
    await f.close();
  }
});

Deno.test("/metrics is Prometheus text with connections, transfers, bytes, errors and HTTP latency", async () => {
  const f = await makeFixture();
  try {
    f.stats.apply({ type: "connect", conn: "a", remote: "1.1.1.1:1" });
    f.stats.apply({
      type: "transfer-start",
      transfer: "r",
      client: "ab",
      name: "a",
      file: "r",
      total: 8192,
      attempt: 1,
    });
    f.stats.apply({ type: "transfer-progress", transfer: "r", bytes: 4096 });
    f.stats.apply({
      type: "transfer-end",
      transfer: "t",
      client: "ab",
      file: "f",
      outcome: "failed",
      bytes: 1,
    });
    f.stats.apply({
      type: "error",
      response: 1607,
      message: "bad",
      cause: "refused",
    });
    await f.app.request("/health");
    const response = await f.app.request("/metrics");
    assert.equal(response.status, 200);
    assert.match(
      response.headers.get("content-type")!,
      /^text\/plain; version=0\.0\.4/,
    );
    const text = await response.text();
    for (
      const line of [
        "cyberbackup_connections_active 1",
        "cyberbackup_connections_max 100",
        "cyberbackup_received_bytes_total 4096",
        'cyberbackup_transfers_total{outcome="failed"} 1',
        'cyberbackup_errors_total{code="1607"} 1',
        "# TYPE cyberbackup_http_request_duration_seconds histogram",
        'cyberbackup_http_request_duration_seconds_count{method="GET",route="/health"} 1',
        'cyberbackup_http_request_duration_seconds_bucket{method="GET",route="/health",le="+Inf"} 1',
      ]
    ) assert.ok(text.split("\n").includes(line), `missing: ${line}`);
    for (const line of text.trim().split("\n")) {
      assert.match(
        line,
        /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [0-9.e+-]+)$/,
        line,
      );
    }
  } finally {
    await f.close();
  }
});

Deno.test("/metrics asks for the bearer token when one is configured", async () => {
  const f = await makeFixture({ metricsToken: "scrape-me" });
  try {
    const none = await f.app.request("/metrics");
    assert.equal(none.status, 401);
    assert.equal(
      none.headers.get("www-authenticate"),
      'Bearer realm="metrics"',
    );
    const wrong = await f.app.request("/metrics", {
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    const right = await f.app.request("/metrics", {
      headers: { authorization: "Bearer scrape-me" },
    });
    assert.equal(right.status, 200);
  } finally {
    await f.close();
  }
});

Deno.test("/api/v1/status gives connection statistics to a signed-in administrator", async () => {
  const f = await makeFixture();
  try {
    f.stats.apply({ type: "connect", conn: "a", remote: "1.1.1.1:1" });
    f.stats.apply({ type: "connect", conn: "b", remote: "1.1.1.2:1" });
    f.stats.apply({
      type: "transfer-start",
      transfer: "t",
      client: "ab",
      name: "a",
      file: "f",
      total: 9,
      attempt: 1,
    });
    f.stats.apply({ type: "transfer-progress", transfer: "t", bytes: 300 });
    f.limits.maxConnections = 5;
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const response = await browser.request("/api/v1/status");
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.active, 2);
    assert.equal(body.max, 5);
    assert.equal(body.available, 3);
    assert.equal(body.transfers.active, 1);
    assert.equal(body.bytesReceived, 300);
    assert.equal(typeof body.uptimeSeconds, "number");
  } finally {
    await f.close();
  }
});

Deno.test("static assets are served from static/ with an ETag, and paths cannot escape it", async () => {
  const f = await makeFixture();
  try {
    const css = await f.app.request("/static/style.css");
    assert.equal(css.status, 200);
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
    const etag = css.headers.get("etag")!;
    assert.match(await css.text(), /--accent/);
    const again = await f.app.request("/static/style.css", {
      headers: { "if-none-match": etag },
    });
    assert.equal(again.status, 304);
    for (
      const path of [
        "/static/../deno.json",
        "/static/%2e%2e/deno.json",
        "/static/..%2fdeno.json",
        "/static/nope.css",
      ]
    ) {
      assert.equal((await f.app.request(path)).status, 404, path);
    }
  } finally {
    await f.close();
  }
});
