import assert from "node:assert/strict";
import { MaintenanceScheduler } from "../../server/history/scheduler.ts";
import { Trash } from "../../server/history/trash.ts";
import type { Database } from "../../server/storage/database.ts";
import { toHex } from "../../shared/encoding.ts";
import { type Fixture, makeFixture, signedIn } from "./fixture.ts";
import { storeVersion } from "../history/fixture.ts";
import { waitUntil } from "../e2e/harness.ts";

const CLIENT = new Uint8Array(16).fill(0x42);

/** A portal with history services and versions 1..n of "doc.txt" a day apart. */
async function historyFixture(n: number) {
  const fixture = await makeFixture();
  const db = fixture.deps.db as Database;
  db.clients.create(CLIENT, "laptop", "2026-11-01T00:00:00.000Z");
  const ids: number[] = [];
  for (let i = 1; i <= n; i++) {
    const at = new Date(Date.UTC(2026, 10, i, 12)).toISOString();
    const version = storeVersion(
      { db, files: fixture.store },
      CLIENT,
      "doc.txt",
      `version ${i}`,
      at,
      { checksum: 1 },
    );
    ids.push(version.id);
  }
  const trash = new Trash(db, fixture.store);
  const maintenance = new MaintenanceScheduler({
    db,
    files: fixture.store,
    trash,
    intervalMs: 0,
  });
  fixture.deps.history = { trash, maintenance };
  const browser = await signedIn(fixture);
  return { fixture, db, ids, trash, maintenance, browser };
}

async function closeAll(
  f: { fixture: Fixture; maintenance: MaintenanceScheduler },
) {
  await f.maintenance.stop();
  await f.fixture.close();
}

Deno.test("the retention page previews typed rules without saving, saves them audited, and runs with figures", async () => {
  const f = await historyFixture(5);
  try {
    const csrf = await f.browser.csrf();
    const preview = await f.browser.post("/retention", {
      _csrf: csrf,
      client: "",
      keepLast: "2",
      intent: "preview",
    });
    assert.equal(preview.status, 200);
    const html = await preview.text();
    assert.match(html, /3 of 5 versions in 1 names would be removed/);
    assert.equal(html.match(/data-keep="false"/g)?.length, 3);
    assert.match(html, /newest; last 2/);
    assert.equal(f.db.policies.get("*"), undefined);

    const bad = await f.browser.post("/retention", {
      _csrf: csrf,
      keepWithinSeconds: "30 days",
      intent: "save",
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /Cannot parse duration/);

    const saved = await f.browser.post("/retention", {
      _csrf: csrf,
      client: "",
      keepLast: "2",
      keepWithinSeconds: "",
      intent: "save",
    });
    assert.equal(saved.status, 303);
    assert.equal(f.db.policies.get("*")?.keepLast, 2);
    const audit = f.db.audit.list({ action: "policy" }).rows[0];
    assert.equal(audit.actor, "admin");
    assert.equal(audit.address, "192.0.2.10");

    // A client's page previews its effective policy at once.
    const clientPage = await f.browser.request(
      `/retention?client=${toHex(CLIENT)}`,
    );
    assert.match(await clientPage.text(), /inherits 2/);

    const run = await f.browser.post("/retention/run", {
      _csrf: csrf,
      client: "",
    });
    assert.equal(run.status, 303);
    assert.match(run.headers.get("location")!, /done=run-started/);
    const pass = await f.maintenance.runNow({ actor: "x", address: null });
    assert.ok(pass);
    await waitUntil(
      () => f.db.versions.list(CLIENT, "doc.txt").length === 2,
      "the second version",
      5000,
    );
    const runs = await (await f.browser.request("/retention")).text();
    assert.match(runs, /data-run="\d+" data-state="done"/);
  } finally {
    await closeAll(f);
  }
});

Deno.test("the trash page lists, restores, and purges only when confirmed", async () => {
  const f = await historyFixture(2);
  try {
    const by = { actor: "admin", address: null };
    f.trash.trash(f.ids[1], by, "2026-11-10T00:00:00.000Z");
    const list = await (await f.browser.request("/trash")).text();
    assert.match(list, new RegExp(`data-trashed="${f.ids[1]}"`));
    assert.match(list, /stay here 7\s+days/);
    const csrf = await f.browser.csrf();

    const restore = await f.browser.post("/trash/restore", {
      _csrf: csrf,
      id: String(f.ids[1]),
      back: "/trash",
    });
    assert.match(restore.headers.get("location")!, /done=restored/);
    assert.equal(f.db.versions.get(f.ids[1])?.trashedAt, null);

    f.trash.trash(f.ids[1], by, "2026-11-10T00:00:00.000Z");
    const unconfirmed = await f.browser.post("/trash/purge", {
      _csrf: csrf,
      id: String(f.ids[1]),
      back: "/trash",
    });
    assert.match(
      unconfirmed.headers.get("location")!,
      /done=purge-unconfirmed/,
    );
    assert.ok(f.db.versions.get(f.ids[1]));
    const purge = await f.browser.post("/trash/purge", {
      _csrf: csrf,
      all: "yes",
      confirm: "yes",
      back: "/trash",
    });
    assert.match(purge.headers.get("location")!, /done=purged/);
    assert.equal(f.db.versions.get(f.ids[1]), undefined);
    assert.equal(
      f.db.audit.list({ action: "trash.purge" }).rows[0].actor,
      "admin",
    );
  } finally {
    await closeAll(f);
  }
});

Deno.test("the maintenance stream sends the runs as JSON", async () => {
  const f = await historyFixture(1);
  try {
    await f.maintenance.runNow({ actor: "system", address: null });
    const controller = new AbortController();
    const response = await f.browser.request("/events/maintenance", {
      signal: controller.signal,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
    controller.abort();
    await reader.cancel().catch(() => {});
    assert.match(text, /event: runs/);
    const data = JSON.parse(text.match(/data: (.*)/)![1]);
    assert.deepEqual(data.map((r: { kind: string }) => r.kind), [
      "gc",
      "trash-purge",
      "retention",
    ]);
  } finally {
    await closeAll(f);
  }
});
