/**
 * The operations pages through the portal app: the dashboard's attention
 * list, the client list by state, the Alerts settings, the send-test
 * button against a local receiver, and the audit log with its CSV export.
 */
import assert from "node:assert/strict";
import { toHex } from "../../shared/encoding.ts";
import {
  addClient,
  addFile,
  makeFixture,
  TestBrowser,
} from "../portal/fixture.ts";
import { csvField } from "../../server/portal/audit_query.ts";
import { startReceiver } from "./receiver.ts";

const DAY = 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** A fixture with alice backed up an hour ago and bob silent for three days. */
async function seeded() {
  const f = await makeFixture({
    seed(db) {
      const alice = addClient(db, "alice");
      addFile(db, alice, "fresh.txt", { storedAt: ago(3600_000) });
      const bob = addClient(db, "bob");
      db.prepare("UPDATE clients SET CreatedAt = ? WHERE ID = ?").run(
        ago(10 * DAY),
        bob,
      );
      addFile(db, bob, "old.txt", { storedAt: ago(3 * DAY) });
    },
  });
  const browser = new TestBrowser(f.app);
  assert.equal((await browser.signIn()).status, 303);
  return { f, browser };
}

Deno.test("the dashboard leads with the clients that need attention", async () => {
  const { f, browser } = await seeded();
  try {
    const html = await (await browser.request("/")).text();
    const attention = html.indexOf("data-attention");
    assert.ok(
      attention > 0 && attention < html.indexOf(`aria-label="Live figures"`),
    );
    assert.match(html, /1 of 2 clients/);
    assert.match(html, /data-client="bob"/);
    assert.doesNotMatch(html, /data-client="alice"/);
    assert.match(html, /last verified upload 3 d ago/);
  } finally {
    await f.close();
  }
});

Deno.test("the client list filters and sorts by state, and a client's own interval applies", async () => {
  const { f, browser } = await seeded();
  try {
    const overdue = await (await browser.request("/clients?state=overdue"))
      .text();
    assert.match(overdue, /data-client="bob"/);
    assert.doesNotMatch(overdue, /data-client="alice"/);
    const sorted = await (await browser.request("/clients?sort=state&dir=desc"))
      .text();
    assert.ok(
      sorted.indexOf('data-client="bob"') <
        sorted.indexOf('data-client="alice"'),
    );
    // Bob backs up weekly: with his own interval of 7 days he is ok.
    const bob = f.deps.db.clients.byName("bob")!.id;
    const csrf = await browser.csrf();
    const saved = await browser.post(`/clients/${toHex(bob)}/interval`, {
      _csrf: csrf,
      interval: String(7 * 86400),
    });
    assert.equal(saved.status, 303);
    const after = await (await browser.request("/clients?state=attention"))
      .text();
    assert.doesNotMatch(after, /data-client="bob"/);
    const entry = f.deps.db.audit.list({ action: "client" }).rows[0];
    assert.equal(entry.action, "client.interval");
    assert.equal(entry.actor, "admin");
    assert.equal(entry.address, "192.0.2.10");
    assert.equal(entry.detail, "604800 s");
  } finally {
    await f.close();
  }
});

Deno.test("alert settings are validated, stored without echoing secrets, and audited by key", async () => {
  const { f, browser } = await seeded();
  try {
    const csrf = await browser.csrf();
    const bad = await browser.post("/notifications", {
      _csrf: csrf,
      "ops.interval_seconds": "soon",
      "webhook.url": "ftp://example.org/",
    });
    assert.equal(bad.status, 400);
    const badHtml = await bad.text();
    assert.match(badHtml, /ops.interval_seconds must be a whole number/);
    assert.match(badHtml, /webhook.url must be http/);
    const ok = await browser.post("/notifications", {
      _csrf: csrf,
      "ops.interval_seconds": "3600",
      "webhook.url": "https://hooks.example.org/x?token=abc",
      "webhook.secret": "very-secret-value",
    });
    assert.equal(ok.status, 303);
    const stored = f.deps.db.ops.settings();
    assert.equal(stored["ops.interval_seconds"], "3600");
    assert.equal(stored["webhook.secret"], "very-secret-value");
    const page = await (await browser.request("/notifications")).text();
    assert.doesNotMatch(page, /very-secret-value/);
    // An empty secret field keeps the stored secret.
    await browser.post("/notifications", { _csrf: csrf, "webhook.secret": "" });
    assert.equal(
      f.deps.db.ops.settings()["webhook.secret"],
      "very-secret-value",
    );
    const entry = f.deps.db.audit.list({ action: "settings" }).rows.at(-1)!;
    assert.equal(entry.action, "settings.alerts");
    assert.match(entry.detail!, /webhook.secret/);
    assert.doesNotMatch(entry.detail!, /very-secret-value/);
    // With an hour as the default interval, alice (an hour ago) is overdue too.
    const dash = await (await browser.request("/")).text();
    assert.match(dash, /2 of 2 clients/);
  } finally {
    await f.close();
  }
});

Deno.test("send test delivers a signed webhook and logs it", async () => {
  const { f, browser } = await seeded();
  const hook = startReceiver("test-secret");
  try {
    f.deps.db.ops.saveSettings({
      "webhook.url": hook.url,
      "webhook.secret": "test-secret",
    });
    const sent = await browser.post("/notifications/test", {
      _csrf: await browser.csrf(),
    });
    assert.equal(sent.status, 303);
    assert.equal(hook.received.length, 1);
    assert.equal(hook.received[0].signed, true);
    assert.equal(hook.received[0].event.type, "test");
    const page = await (await browser.request("/notifications")).text();
    assert.match(page, /data-delivery="test"/);
    assert.match(page, /HTTP 204/);
    assert.equal(f.deps.db.ops.deliveries(5)[0].status, "delivered");
  } finally {
    await hook.close();
    await f.close();
  }
});

Deno.test("sign-in and a client deletion are audited; the log filters and exports as CSV", async () => {
  const { f, browser } = await seeded();
  try {
    const bob = f.deps.db.clients.byName("bob")!.id;
    await browser.post(`/clients/${toHex(bob)}/delete`, {
      _csrf: await browser.csrf(),
    });
    const all = f.deps.db.audit.list().rows.map((e) => e.action);
    assert.deepEqual(all, ["client.delete", "auth.sign-in"]);
    const page = await (await browser.request("/audit?action=client")).text();
    assert.match(page, /data-action="client.delete"/);
    assert.doesNotMatch(page, /data-action="auth.sign-in"/);
    const csv = await browser.request("/audit/export?action=auth");
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type")!, /text\/csv/);
    const lines = (await csv.text()).trim().split("\r\n");
    assert.equal(lines[0], "id,at,actor,address,action,target,detail");
    assert.equal(lines.length, 2);
    assert.match(lines[1], /,admin,192\.0\.2\.10,auth\.sign-in,/);
  } finally {
    await f.close();
  }
});

Deno.test("CSV fields are quoted and never start a formula", () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField('a,"b"'), '"a,""b"""');
  assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvField("-1"), `"'-1"`);
  assert.equal(csvField(null), "");
  assert.equal(csvField(42), "42");
});
