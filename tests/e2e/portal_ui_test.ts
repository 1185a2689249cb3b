/**
 * The portal in a real browser: sign in, live cards and progress bars that
 * follow the server's statistics (fed in-process), reconnecting after the
 * stream drops, deleting a file, and screenshots of the main pages.
 */
import assert from "node:assert/strict";
import { LiveStreams } from "../../server/portal/sse.ts";
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
  pixelOf,
  SCREENSHOT_DIR,
  servePortal,
  signIn,
  waitFor,
  waitForText,
} from "./portal_browser.ts";

const chromiumPath = chromiumFor("portal browser tests");

Deno.test({
  name:
    "the portal signs in, shows live figures, reconnects and deletes a file in a real browser",
  ignore: !chromiumPath,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await ensureIslandBundle();
    await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
    let lag = 300_000;
    const streams = new LiveStreams();
    const f = await makeFixture({
      streams,
      now: () => Date.now() - lag,
      seed: seedData,
    });
    // Five minutes of traffic in the chart, fed with a clock running from the past.
    lag = 301_000;
    f.stats.apply({
      type: "transfer-start",
      transfer: "chart",
      client: "aa",
      name: "alice",
      file: "chart.bin",
      total: 2e9,
      attempt: 1,
    });
    let bytes = 0;
    for (let s = 0; s < 300; s++) {
      lag = (300 - s) * 1000;
      bytes += Math.round(3e6 + 2e6 * Math.sin(s / 25) + ((s * 7919) % 1e6));
      f.stats.apply({ type: "transfer-progress", transfer: "chart", bytes });
    }
    f.stats.apply({
      type: "transfer-end",
      transfer: "chart",
      client: "aa",
      file: "chart.bin",
      outcome: "verified",
      bytes,
    });
    lag = 0;
    f.stats.apply({ type: "connect", conn: "seed", remote: "10.0.0.9:5000" });
    f.stats.apply({ type: "registered", client: "aa", name: "alice" });
    f.stats.apply({
      type: "transfer-end",
      transfer: "t0",
      client: "aa",
      file: "thesis.pdf",
      outcome: "verified",
      bytes: 52_000,
    });
    const server = servePortal(f.app);
    const browser = await launchChromium(chromiumPath!);
    try {
      const context = await browser.newContext({
        viewport: { width: 1360, height: 900 },
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });

      await t.step("signing in leads to the dashboard", async () => {
        await page.goto(`${server.url}/login`);
        await page.screenshot({ path: `${SCREENSHOT_DIR}login.png` });
        await signIn(page, server.url, PASSWORD);
        assert.equal(await page.locator("h1").textContent(), "Dashboard");
        await page.locator('[data-live="live"]').first().waitFor({
          timeout: 10_000,
        });
      });

      const card = (id: string) =>
        page.locator(`[data-card="${id}"] .card-value`);

      await t.step("live cards follow connections and transfers", async () => {
        assert.equal(await card("connections").textContent(), "1");
        f.stats.apply({ type: "connect", conn: "c1", remote: "10.0.0.1:4000" });
        f.stats.apply({ type: "connect", conn: "c2", remote: "10.0.0.2:4000" });
        await waitForText(card("connections"), "3");
        f.stats.apply({
          type: "transfer-start",
          transfer: "t1",
          client: "00112233445566778899aabbccddeeff",
          name: "alice",
          file: "holiday-photos.tar",
          total: 40_000_000,
          attempt: 1,
        });
        await waitForText(card("transfers"), "1");
      });

      await t.step("a progress bar moves with the transfer", async () => {
        const bar = page.locator('[data-transfer="t1"] progress');
        await bar.waitFor();
        f.stats.apply({
          type: "transfer-progress",
          transfer: "t1",
          bytes: 10_000_000,
        });
        await waitFor(async () =>
          (await bar.getAttribute("value")) === "10000000"
        );
        f.stats.apply({
          type: "transfer-progress",
          transfer: "t1",
          bytes: 26_000_000,
        });
        await waitFor(async () =>
          (await bar.getAttribute("value")) === "26000000"
        );
        assert.equal(
          await page.locator('[data-transfer="t1"] .progress-pct')
            .textContent(),
          "65%",
        );
        f.stats.apply({
          type: "transfer-start",
          transfer: "t2",
          client: "ffeeddccbbaa99887766554433221100",
          name: "bob",
          file: "db-dump.sql.gz",
          total: 8_000_000,
          attempt: 2,
        });
        f.stats.apply({
          type: "transfer-progress",
          transfer: "t2",
          bytes: 1_500_000,
        });
        await page.locator('[data-transfer="t2"]').waitFor();
        await page.screenshot({
          path: `${SCREENSHOT_DIR}dashboard.png`,
          fullPage: true,
        });
      });

      await t.step("islands reconnect after the stream drops", async () => {
        streams.closeAll();
        await page.locator('[data-live="reconnecting"]').first().waitFor({
          timeout: 5000,
        });
        await page.locator('[data-live="live"]').first().waitFor({
          timeout: 15_000,
        });
        f.stats.apply({ type: "disconnect", conn: "c1" });
        await waitForText(card("connections"), "2");
      });

      await t.step("a file is deleted from the Files page", async () => {
        await page.goto(`${server.url}/files`);
        // Leaving the dashboard closes its EventSource; the server must notice and stop streaming.
        await waitFor(() => Promise.resolve(streams.size === 0), 5000);
        const row = page.locator('tr[data-file="old-notes.txt"]');
        await row.waitFor();
        page.once("dialog", (dialog) => dialog.accept());
        await Promise.all([
          page.waitForURL(/done=file-deleted/),
          row.locator('button:has-text("Delete")').click(),
        ]);
        assert.match(
          await page.locator(".flash").textContent() ?? "",
          /File deleted/,
        );
        assert.equal(
          await page.locator('tr[data-file="old-notes.txt"]').count(),
          0,
        );
        const rows = f.db.prepare(
          "SELECT count(*) AS n FROM files WHERE FileName = 'old-notes.txt'",
        ).get() as {
          n: number;
        };
        assert.equal(rows.n, 0);
        await page.screenshot({
          path: `${SCREENSHOT_DIR}files.png`,
          fullPage: true,
        });
      });

      await t.step(
        "clients, client, transfers, logs and settings pages render",
        async () => {
          await page.goto(`${server.url}/clients`);
          await page.screenshot({
            path: `${SCREENSHOT_DIR}clients.png`,
            fullPage: true,
          });
          await page.click("text=alice");
          await page.waitForURL(/\/clients\/[0-9a-f]{32}$/);
          await page.screenshot({
            path: `${SCREENSHOT_DIR}client.png`,
            fullPage: true,
          });
          for (const name of ["transfers", "settings"]) {
            await page.goto(`${server.url}/${name}`);
            await page.screenshot({
              path: `${SCREENSHOT_DIR}${name}.png`,
              fullPage: true,
            });
          }
        },
      );

      await t.step(
        "the log tail shows stored records and new ones as they come",
        async () => {
          log(f, "info", ["cyberbackup", "tcp"], "Listening", { port: 1256 });
          log(f, "info", ["cyberbackup", "tcp"], "Client connected", {
            remote: "10.0.0.1:4000",
          });
          log(f, "debug", ["cyberbackup", "session"], "Packet 3 of 9", {
            client: "alice",
          });
          log(
            f,
            "warning",
            ["cyberbackup", "session"],
            "Checksum mismatch, client will resend",
            { file: "a.bin" },
          );
          await page.goto(`${server.url}/logs`);
          const box = page.locator(".log-box");
          await page.locator('[data-live="live"]').waitFor({ timeout: 10_000 });
          assert.equal(await box.getAttribute("data-log-count"), "3");
          log(
            f,
            "error",
            ["cyberbackup", "storage"],
            "Cannot write file: disk full",
            { file: "b.bin" },
          );
          await waitFor(async () =>
            (await box.getAttribute("data-log-count")) === "4"
          );
          await page.selectOption('select[name="level"]', "warning");
          await waitFor(async () =>
            (await box.getAttribute("data-log-count")) === "2"
          );
          assert.match(page.url(), /level=warning/);
          await page.selectOption('select[name="level"]', "debug");
          await waitFor(async () =>
            (await box.getAttribute("data-log-count")) === "5"
          );
          await page.screenshot({
            path: `${SCREENSHOT_DIR}logs.png`,
            fullPage: true,
          });
        },
      );

      await t.step(
        "the dark theme and a phone-sized screen render",
        async () => {
          const phone = await browser.newContext({
            viewport: { width: 390, height: 844 },
            colorScheme: "dark",
          });
          await phone.addCookies(await context.cookies());
          const small = await phone.newPage();
          await small.goto(`${server.url}/`);
          await small.locator('[data-live="live"]').first().waitFor({
            timeout: 10_000,
          });
          await small.screenshot({
            path: `${SCREENSHOT_DIR}dashboard-phone-dark.png`,
            fullPage: true,
          });
          const dark = await browser.newContext({
            viewport: { width: 1360, height: 900 },
            colorScheme: "dark",
          });
          await dark.addCookies(await context.cookies());
          const wide = await dark.newPage();
          await wide.goto(`${server.url}/`);
          await wide.locator('[data-live="live"]').first().waitFor({
            timeout: 10_000,
          });
          await wide.screenshot({
            path: `${SCREENSHOT_DIR}dashboard-dark.png`,
            fullPage: true,
          });
          await phone.close();
          await dark.close();
        },
      );

      assert.deepEqual(
        errors,
        [],
        "no script errors or CSP violations in the browser console",
      );
    } finally {
      await browser.close();
      streams.shutdown();
      await server.close();
      await f.close();
    }
  },
});

/** What a layout check found wrong on one page at one width; empty when nothing. */
interface LayoutProblems {
  /** The page is wider than the window. */
  pageOverflow: number;
  /** Navigation links not wholly inside the window and their nav's box. */
  hiddenNav: string[];
  /** Tables that scroll sideways, cutting their last columns. */
  cutTables: number;
  /** Height of the sidebar (the header on a phone). */
  headerHeight: number;
}

Deno.test({
  name:
    "at 390 and 1280 px every page fits the window, shows every nav item and whole tables, and works without JavaScript",
  ignore: !chromiumPath,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await ensureIslandBundle();
    await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
    const streams = new LiveStreams();
    const f = await makeFixture({ streams, seed: seedLongNames });
    const server = servePortal(f.app);
    const browser = await launchChromium(chromiumPath!);
    try {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 800 },
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await signIn(page, server.url, PASSWORD);
      const { id } = f.db.prepare(
        "SELECT lower(hex(ID)) AS id FROM clients ORDER BY Name LIMIT 1",
      ).get() as { id: string };
      const pages = [
        ["dashboard", "/"],
        ["clients", "/clients"],
        ["client", `/clients/${id}`],
        ["files", "/files"],
        ["transfers", "/transfers"],
        ["logs", "/logs"],
        ["settings", "/settings"],
      ] as const;

      for (const width of [390, 1280]) {
        await t.step(`at ${width} px`, async () => {
          await page.setViewportSize({ width, height: 844 });
          for (const [name, path] of pages) {
            await page.goto(`${server.url}${path}`);
            // Screenshots first, so a failure leaves a picture of it.
            await page.screenshot({
              path: `${SCREENSHOT_DIR}${name}-${width}.png`,
              fullPage: true,
            });
            const found = await page.evaluate(layoutProblems);
            assert.deepEqual(
              { ...found, headerHeight: 0 },
              { pageOverflow: 0, hiddenNav: [], cutTables: 0, headerHeight: 0 },
              `${name} at ${width} px`,
            );
            if (width === 390) {
              assert.ok(
                found.headerHeight < 150,
                `the header of ${name} stays ${found.headerHeight} px high, not filling a short page`,
              );
            }
          }
        });
      }

      await t.step(
        "on a phone a table that scrolls sideways shows a shadow where columns are hidden",
        async () => {
          await page.setViewportSize({ width: 390, height: 844 });
          await page.goto(`${server.url}/clients`);
          const box = page.locator(".table-box");
          assert.ok(
            await box.evaluate((b) => b.scrollWidth > b.clientWidth + 100),
            "the clients table is wider than a phone",
          );
          // In the top padding of the first row: the box's own background.
          const y = await box.evaluate((b) =>
            b.querySelector("tbody tr")!.getBoundingClientRect().top -
            b.getBoundingClientRect().top + 3
          );
          const edges = async () => ({
            left: shade(await pixelOf(box, { x: 3, y })),
            right: shade(await pixelOf(box, { x: -4, y })),
          });
          const start = await edges();
          assert.ok(
            start.left < 8 && start.right > 25,
            `shadow on the right only: ${JSON.stringify(start)}`,
          );
          await box.evaluate((b) => b.scrollLeft = b.scrollWidth);
          const end = await edges();
          assert.ok(
            end.left > 25 && end.right < 8,
            `shadow on the left only: ${JSON.stringify(end)}`,
          );
        },
      );

      await t.step(
        "an empty Active transfers card stays one line high",
        async () => {
          await page.setViewportSize({ width: 1280, height: 800 });
          await page.goto(`${server.url}/`);
          const empty = page.locator('[data-transfers="0"]');
          await empty.waitFor();
          assert.equal(
            (await empty.textContent())?.trim(),
            "No uploads in progress.",
          );
          const box = await page.locator(".panel", { has: empty })
            .boundingBox();
          assert.ok(box && box.height < 140, `card is ${box?.height} px high`);
        },
      );

      await t.step(
        "without JavaScript the badge says live updates need it, and Recent activity shows stored uploads",
        async () => {
          const noJs = await browser.newContext({
            viewport: { width: 1280, height: 800 },
            javaScriptEnabled: false,
          });
          await noJs.addCookies(await context.cookies());
          const still = await noJs.newPage();
          await still.goto(`${server.url}/`);
          const badge = still.locator("[data-live]");
          assert.equal(
            (await badge.textContent())?.trim(),
            "Live updates need JavaScript",
          );
          assert.ok(await badge.isVisible(), "the no-script label is shown");
          assert.match(
            (await still.locator(".feed").textContent()) ?? "",
            /verified \([\d.]+ [KMG]iB sent/,
          );
          await still.screenshot({
            path: `${SCREENSHOT_DIR}dashboard-nojs.png`,
            fullPage: true,
          });
          await noJs.close();
          await page.goto(`${server.url}/`);
          await page.locator('[data-live="live"]').waitFor({ timeout: 10_000 });
        },
      );
      assert.deepEqual(errors, [], "no script errors in the browser");
    } finally {
      await browser.close();
      streams.shutdown();
      await server.close();
      await f.close();
    }
  },
});

/** How much darker than white a light-theme pixel is (0: white). */
function shade([r, g, b]: number[]): number {
  return 765 - r - g - b;
}

/** Runs in the page: measures what a user at this width could not see. */
function layoutProblems(): LayoutProblems {
  const width = document.documentElement.clientWidth;
  const nav = document.querySelector("nav")!;
  const navBox = nav.getBoundingClientRect();
  const hiddenNav = [...nav.querySelectorAll("a")].filter((a) => {
    const r = a.getBoundingClientRect();
    return r.left < Math.max(0, navBox.left) - 0.5 ||
      r.right > Math.min(width, navBox.right) + 0.5 ||
      r.width === 0;
  }).map((a) => a.textContent ?? "");
  const cutTables =
    [...document.querySelectorAll<HTMLElement>(".table-box")].filter((box) =>
      box.scrollWidth > box.clientWidth + 1
    ).length;
  return {
    pageOverflow: Math.max(0, document.documentElement.scrollWidth - width),
    hiddenNav,
    cutTables: width >= 1000 ? cutTables : 0,
    headerHeight: document.querySelector(".sidebar")!.getBoundingClientRect()
      .height,
  };
}

/** Names as long as real ones: the tables must still fit at 1280 px. */
function seedLongNames(db: import("node:sqlite").DatabaseSync): void {
  const now = Date.now();
  const long = "quarterly-financial-report-2026-final-reviewed-v3.xlsx";
  for (const [i, name] of ["accounting-workstation-07", "bob"].entries()) {
    const id = addClient(db, name);
    addFile(db, id, i === 0 ? long : "notes.txt", { size: 42 * 1024 ** 2 });
    db.prepare(
      "INSERT INTO transfers (ClientID, FileName, StartedAt, FinishedAt, Outcome, Bytes, Size, Attempts, Transport) VALUES (?, ?, ?, ?, 'verified', ?, ?, 2, 'http')",
    ).run(
      id,
      i === 0 ? long : "notes.txt",
      new Date(now - 60_000).toISOString(),
      new Date(now - 55_000).toISOString(),
      42 * 1024 ** 2 + 16,
      42 * 1024 ** 2 + 16,
    );
  }
}

function log(
  f: { logs: import("../../server/stats/log_buffer.ts").LogBuffer },
  level: "debug" | "info" | "warning" | "error",
  category: string[],
  message: string,
  properties: Record<string, unknown>,
): void {
  f.logs.push({
    category,
    level,
    message: [message],
    rawMessage: message,
    timestamp: Date.now(),
    properties,
  });
}

function seedData(db: import("node:sqlite").DatabaseSync): void {
  const names = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "lab-pc-01",
    "lab-pc-02",
    "lab-pc-03",
    "mallory",
  ];
  const now = Date.now();
  names.forEach((name, i) => {
    const id = addClient(db, name, {
      lastSeen: new Date(now - i * 3_600_000).toISOString(),
      key: i !== 9,
    });
    for (let j = 0; j < (i % 4) + 1; j++) {
      addFile(
        db,
        id,
        j === 0 && i === 0 ? "old-notes.txt" : `backup-${j}.tar.gz`,
        {
          verified: (i + j) % 5 !== 3,
          size: 1024 * (37 + i * 1013 + j * 7919),
          storedAt: new Date(now - (i * 4 + j) * 600_000).toISOString(),
        },
      );
    }
    const insert = db.prepare(
      "INSERT INTO transfers (ClientID, FileName, StartedAt, FinishedAt, Outcome, Bytes, Size, Attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const start = now - i * 3_600_000;
    const outcome = i % 5 === 3 ? "failed" : i === 9 ? "aborted" : "verified";
    insert.run(
      id,
      "backup-0.tar.gz",
      new Date(start).toISOString(),
      new Date(start + 4200 + i * 900).toISOString(),
      outcome,
      5e6 + i * 1e6,
      5e6 + i * 1e6,
      1 + (i % 3),
    );
  });
}
