/** Chart series from database rows, the SVG charts, and the Charts page over real rows. */
import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { niceMax, StackedBars } from "../../components/Charts.tsx";
import {
  lastDays,
  outcomesByDay,
  storageByDay,
  throughputByHour,
} from "../../server/ops/series.ts";
import { toHex } from "../../shared/encoding.ts";
import { addClient, makeFixture, TestBrowser } from "../portal/fixture.ts";

const NOW = Date.parse("2026-11-30T12:00:00Z");

Deno.test("series fill empty days, carry storage forward and put the others last", () => {
  const days = lastDays(NOW, 3);
  assert.deepEqual(days, ["2026-11-28", "2026-11-29", "2026-11-30"]);
  const outcomes = outcomesByDay([{
    day: "2026-11-29",
    verified: 4,
    failed: 1,
  }], days);
  assert.deepEqual(outcomes.series.map((s) => s.values), [[0, 4, 0], [
    0,
    1,
    0,
  ]]);
  const storage = storageByDay([
    { day: "2026-11-28", id: "", name: "3 others", bytes: 10 },
    { day: "2026-11-30", id: "", name: "2 others", bytes: 30 },
    { day: "2026-11-28", id: "a", name: "a", bytes: 20 },
    { day: "2026-11-29", id: "a", name: "a", bytes: 25 },
    { day: "2026-11-28", id: "b", name: "b", bytes: 100 },
  ], days);
  assert.deepEqual(storage.series, [
    { name: "b", values: [100, 100, 100] },
    { name: "a", values: [20, 25, 25] },
    { name: "2 others", values: [10, 10, 30] },
  ]);
  const tp = throughputByHour([{ hour: "2026-11-30T12", bytes: 7200 }], [
    "2026-11-30T11",
    "2026-11-30T12",
  ]);
  assert.deepEqual(tp.series[0].values, [0, 2]);
});

Deno.test("niceMax rounds up to 1, 2 or 5 steps, in powers of 1024 for bytes", () => {
  assert.equal(niceMax(0), 1);
  assert.equal(niceMax(7), 10);
  assert.equal(niceMax(130), 200);
  assert.equal(niceMax(3 * 1024 ** 2, 1024), 5 * 1024 ** 2);
});

Deno.test("stacked bars draw one rect per non-zero value, scaled to the nice maximum", () => {
  const html = renderToString(
    <StackedBars
      id="t"
      title="T"
      data={{
        labels: ["d1", "d2"],
        series: [{ name: "ok", values: [5, 10] }, {
          name: "bad",
          values: [0, 0],
        }],
      }}
      format={String}
    />,
  );
  const heights = [
    ...html.matchAll(/<rect class="bar s0"[^>]* height="([\d.]+)"/g),
  ]
    .map((m) => Number(m[1]));
  assert.equal(heights.length, 2);
  // 10 is the nice maximum: the second bar fills the plot, the first half of it.
  assert.ok(Math.abs(heights[1] - 2 * heights[0]) < 0.01);
  assert.doesNotMatch(html, /class="bar s1"/);
});

Deno.test("the Charts page draws the rows the server recorded", async () => {
  const f = await makeFixture({
    seed(db) {
      const id = addClient(db, "alice");
      const today = new Date().toISOString().slice(0, 10);
      for (const [outcome, n] of [["verified", 3], ["failed", 2]] as const) {
        for (let i = 0; i < n; i++) {
          db.prepare(
            `INSERT INTO transfers (ClientID, FileName, StartedAt, FinishedAt, Outcome, Bytes)
             VALUES (?, ?, ?, ?, ?, ?)`,
          ).run(
            id,
            `f${i}`,
            new Date().toISOString(),
            new Date().toISOString(),
            outcome,
            1000,
          );
        }
      }
      db.prepare("INSERT INTO ops_daily_bytes VALUES (?, ?, ?)").run(
        today,
        id,
        5 * 1024 ** 2,
      );
      addClientFile(db, id);
    },
  });
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const html = await (await browser.request("/charts")).text();
    for (
      const id of [
        "storage-per-client",
        "storage-over-time",
        "uploads-per-day",
        "throughput-history",
      ]
    ) {
      assert.match(html, new RegExp(`data-chart="${id}"`));
    }
    assert.match(html, /3 verified · 2 failed/);
    const alice = toHex(f.deps.db.clients.byName("alice")!.id);
    assert.match(html, new RegExp(`href="/clients/${alice}">alice</a>`));
  } finally {
    await f.close();
  }
});

function addClientFile(db: import("node:sqlite").DatabaseSync, id: Uint8Array) {
  db.prepare(
    "INSERT INTO files (ID, FileName, PathName, Verified, Size, StoredAt) VALUES (?, 'x', 'x', 1, ?, ?)",
  ).run(id, 5 * 1024 ** 2, new Date().toISOString());
}
