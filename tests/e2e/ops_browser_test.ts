/**
 * The operations pages in a real browser at 1280 and 390 px: the
 * dashboard's attention list, the charts, the client list by state, the
 * Alerts and Audit pages; screenshots in tests/e2e/screenshots/.
 */
import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import {
  addClient,
  addFile,
  makeFixture,
  PASSWORD,
} from "../portal/fixture.ts";
import {
  chromiumFor,
  ensureIslandBundle,
  launchChromium,
  SCREENSHOT_DIR,
  servePortal,
  signIn,
} from "./portal_browser.ts";

const chromiumPath = chromiumFor("operations browser tests");
const DAY = 86_400_000;

/** Thirty days of a small office: four clients in four states. */
function seedOffice(db: DatabaseSync): void {
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const transfer = db.prepare(
    `INSERT INTO transfers (ClientID, FileName, StartedAt, FinishedAt, Outcome, Bytes, Size)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const daily = db.prepare("INSERT INTO ops_daily_bytes VALUES (?, ?, ?)");
  const clients = [
    { name: "reception-pc", size: 3.2e9, lastOk: now - 2 * 3600_000 },
    { name: "accounting-workstation-07", size: 11.5e9, lastOk: now - 4 * DAY },
    { name: "ceo-laptop", size: 6.1e9, lastOk: now - 3 * DAY, failing: true },
    { name: "build-server", size: 24e9, lastOk: now - 6 * 3600_000 },
    { name: "old-nas", size: 1.1e9, lastOk: now - 5 * 3600_000, locked: true },
  ];
  for (const [k, c] of clients.entries()) {
    const id = addClient(db, c.name);
    db.prepare("UPDATE clients SET CreatedAt = ? WHERE ID = ?").run(
      iso(now - 40 * DAY),
      id,
    );
    addFile(db, id, "backup.tar", { size: c.size, storedAt: iso(c.lastOk) });
    for (let d = 29; d >= 0; d--) {
      const at = now - d * DAY - k * 600_000;
      if (at <= c.lastOk) {
        transfer.run(
          id,
          `day-${d}.tar`,
          iso(at - 900_000),
          iso(at),
          "verified",
          c.size / 30,
          c.size / 30,
        );
      }
      if ((d + k) % 7 === 0) {
        transfer.run(
          id,
          `retry-${d}.tar`,
          iso(at - 800_000),
          iso(at - 700_000),
          "failed",
          1e6,
          1e8,
        );
      }
      daily.run(
        iso(now - d * DAY).slice(0, 10),
        id,
        Math.round(c.size * (0.6 + 0.4 * (30 - d) / 30)),
      );
    }
    if (c.failing) {
      for (let i = 0; i < 3; i++) {
        transfer.run(
          id,
          `f${i}.tar`,
          iso(now - 3600_000 + i),
          iso(now - 3500_000 + i),
          "failed",
          0,
          1e8,
        );
      }
    }
    if (c.locked) {
      for (let i = 0; i < 3; i++) {
        db.prepare("INSERT INTO key_failures VALUES (?, ?)").run(
          id,
          iso(now - 600_000 * (i + 1)),
        );
      }
    }
  }
}

Deno.test({
  name:
    "the attention list, charts and operations pages render at 1280 and 390 px",
  ignore: !chromiumPath,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await ensureIslandBundle();
    await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
    const f = await makeFixture({ seed: seedOffice });
    const server = servePortal(f.app);
    const browser = await launchChromium(chromiumPath!);
    try {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await signIn(page, server.url, PASSWORD);
      for (const width of [1280, 390]) {
        await t.step(`at ${width} px`, async () => {
          await page.setViewportSize({ width, height: 900 });
          await page.goto(`${server.url}/`);
          const rows = await page.locator("[data-attention] tr[data-client]")
            .evaluateAll(
              (trs) =>
                trs.map((
                  tr,
                ) => [
                  tr.getAttribute("data-client"),
                  tr.querySelector("[data-state]")?.getAttribute("data-state"),
                ]),
            );
          // Most urgent first: locked, failing, then overdue; the ok ones are not listed.
          assert.deepEqual(rows, [
            ["old-nas", "locked"],
            ["ceo-laptop", "failing"],
            ["accounting-workstation-07", "overdue"],
          ]);
          // It leads the page: its top is within the first screen.
          const top = await page.locator("[data-attention]").evaluate((e) =>
            e.getBoundingClientRect().top
          );
          assert.ok(top < 250, `attention list at ${top} px`);
          await page.locator("[data-attention]").screenshot({
            path: `${SCREENSHOT_DIR}attention-${width}.png`,
          });
          await page.screenshot({
            path: `${SCREENSHOT_DIR}dashboard-ops-${width}.png`,
            fullPage: true,
          });

          await page.goto(`${server.url}/charts`);
          await page.screenshot({
            path: `${SCREENSHOT_DIR}charts-${width}.png`,
            fullPage: true,
          });
          const bars = await page.locator(
            '[data-chart="uploads-per-day"] rect.bar',
          ).count();
          assert.ok(bars >= 30, `${bars} bars`);
          const lines = await page.locator(
            '[data-chart="storage-over-time"] polyline',
          ).count();
          assert.equal(lines, 5);
          const ranks = await page.locator(
            '[data-chart="storage-per-client"] li',
          ).count();
          assert.equal(ranks, 5);
          // Each chart fits its panel: nothing wider than the window.
          const overflow = await page.evaluate(() =>
            document.documentElement.scrollWidth -
            document.documentElement.clientWidth
          );
          assert.equal(overflow, 0, "charts page overflows");

          for (
            const [name, path] of [
              ["clients-attention", "/clients?state=attention"],
              ["alerts", "/notifications"],
              ["audit", "/audit"],
            ]
          ) {
            await page.goto(`${server.url}${path}`);
            await page.screenshot({
              path: `${SCREENSHOT_DIR}${name}-${width}.png`,
              fullPage: true,
            });
            const over = await page.evaluate(() =>
              document.documentElement.scrollWidth -
              document.documentElement.clientWidth
            );
            assert.equal(over, 0, `${name} overflows at ${width} px`);
          }
          const listed = await page.goto(
            `${server.url}/clients?state=attention`,
          ).then(() => page.locator("tbody tr[data-client]").count());
          assert.equal(listed, 3);
        });
      }
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.close();
      await f.close();
    }
  },
});
