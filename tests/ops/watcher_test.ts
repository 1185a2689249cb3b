/**
 * The state watcher on a real database with an injected clock: state
 * changes notified once, reminders at the re-notify interval, the disk
 * watermark crossed both ways once, the daily summary once per day, and
 * the module-level notify() entry point.
 */
import assert from "node:assert/strict";
import { Database } from "../../server/storage/database.ts";
import type { OpsEvent } from "../../server/ops/events.ts";
import { StateWatcher } from "../../server/ops/watcher.ts";
import { parseSettings } from "../../server/ops/settings.ts";
import {
  installNotifier,
  Notifier,
  notify,
} from "../../server/ops/notifier.ts";
import { startReceiver } from "./receiver.ts";

const HOUR = 3600_000;
const T0 = Date.parse("2026-11-30T05:00:00Z");

async function withDb(fn: (db: Database) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "cb-watch-" });
  const db = Database.open(`${dir}/defensive.db`);
  try {
    await fn(db);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the watcher notifies each change once, reminds at the interval, and sends one summary a day", async () => {
  await withDb((db) => {
    let now = T0;
    let free = 10e9;
    const sent: OpsEvent[] = [];
    db.ops.saveSettings({
      "ops.interval_seconds": String(24 * 3600),
      "ops.renotify_seconds": String(6 * 3600),
      "summary.hour": "7",
    });
    const id = new Uint8Array(16).fill(7);
    db.clients.create(id, "laptop", new Date(T0 - 2 * HOUR).toISOString());
    const watcher = new StateWatcher({
      ops: db.ops,
      transaction: (fn) => db.transaction(fn),
      storedBytes: () => db.status.storedBytes(),
      notify: (e) => sent.push(e),
      settings: () => parseSettings(db.ops.settings()),
      tickMs: 60_000,
      now: () => now,
      disk: { free: () => free, watermark: 1e9 },
    });
    const states = () =>
      sent.flatMap((e) =>
        e.type === "client.state" ? [`${e.state}${e.renotify ? "*" : ""}`] : []
      );
    watcher.evaluate();
    assert.equal(sent.length, 0); // ok at first sight, before 07:00, disk fine
    now = T0 + 23 * HOUR; // 04:00 next day: registered 25 h ago, no upload
    watcher.evaluate();
    watcher.evaluate();
    assert.deepEqual(states(), ["overdue"]);
    const summaries = () => sent.filter((e) => e.type === "summary.daily");
    // 04:00: the day's summary is not due before 07:00.
    assert.equal(summaries().length, 0);
    now += 5 * HOUR; // 09:00: due, sent once
    watcher.evaluate();
    assert.deepEqual(states(), ["overdue"]);
    assert.equal(summaries().length, 1);
    now += HOUR; // six hours since the notification: one reminder
    watcher.evaluate();
    watcher.evaluate();
    assert.deepEqual(states(), ["overdue", "overdue*"]);
    // A verified upload: ok again, once.
    db.files.recordVerified(
      { clientId: id, fileName: "a", pathName: "p", size: 1, checksum: 1 },
      new Date(now).toISOString(),
    );
    watcher.evaluate();
    watcher.evaluate();
    assert.deepEqual(states(), ["overdue", "overdue*", "ok"]);
    // The disk dips below the watermark and recovers: one event each way.
    free = 5e8;
    watcher.evaluate();
    watcher.evaluate();
    free = 2e9;
    watcher.evaluate();
    assert.deepEqual(
      sent.filter((e) => e.type.startsWith("disk.")).map((e) => e.type),
      ["disk.low", "disk.ok"],
    );
    // Still one summary that day, whatever the evaluations since.
    assert.equal(summaries().length, 1);
    const summary = summaries()[0];
    assert.ok(summary.type === "summary.daily");
    assert.equal(summary.day, "2026-12-01");
    assert.equal(summary.counts.overdue, 1);
    assert.deepEqual(summary.attention.map((c) => c.name), ["laptop"]);
    // The next day after 07:00: the next one.
    now += 24 * HOUR;
    db.files.recordVerified(
      { clientId: id, fileName: "b", pathName: "p", size: 1, checksum: 1 },
      new Date(now).toISOString(),
    );
    watcher.evaluate();
    assert.deepEqual(
      summaries().map((e) => e.type === "summary.daily" && e.day),
      [
        "2026-12-01",
        "2026-12-02",
      ],
    );
  });
});

Deno.test("notify() sends through the installed notifier, and only logs without one", async () => {
  await withDb(async (db) => {
    const hook = startReceiver("s");
    try {
      db.ops.saveSettings({ "webhook.url": hook.url, "webhook.secret": "s" });
      notify({ type: "gc.error", message: "nothing installed" });
      const notifier = new Notifier({
        settings: () => parseSettings(db.ops.settings()),
        record: (row) => db.ops.recordDelivery(row),
      });
      installNotifier(notifier);
      notify({
        type: "retention.error",
        message: "cannot prune",
        client: "ab",
      });
      await notifier.drain(5000);
      installNotifier(undefined);
      assert.deepEqual(hook.received.map((r) => r.event.type), [
        "retention.error",
      ]);
      assert.equal(hook.received[0].signed, true);
      assert.equal(db.ops.deliveries(5)[0].event, "retention.error");
    } finally {
      await hook.close();
    }
  });
});
