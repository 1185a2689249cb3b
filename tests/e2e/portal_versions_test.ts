/**
 * Backup history in the portal of the real server: the command-line client
 * backs up two versions of one name; in a real browser the administrator
 * opens the version list, downloads version 1, pins it, and moves version 2
 * to the trash and back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { assertBytesEqual } from "../bytes_assert.ts";
import { adminPassword, startServer } from "./harness.ts";
import {
  chromiumFor,
  ensureIslandBundle,
  launchChromium,
  SCREENSHOT_DIR,
  signIn,
} from "./portal_browser.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const chromiumPath = chromiumFor("the version list browser test");

/** Runs `cyberbackup backup` in `dir` (which holds transfer.info) and fails unless it succeeds. */
async function backup(dir: string): Promise<void> {
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "backup", "--dir", dir],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(
    run.code,
    0,
    decoder.decode(run.stdout) + decoder.decode(run.stderr),
  );
}

Deno.test({
  name:
    "an administrator downloads, pins, trashes and restores versions a real client backed up",
  ignore: !chromiumPath,
  // Chromium's pipes outlive the test body by a moment.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await ensureIslandBundle();
    await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
    const server = await startServer();
    const dir = await Deno.makeTempDir({ prefix: "cb-e2e-versions-" });
    const browser = await launchChromium(chromiumPath!);
    try {
      const good = new TextEncoder().encode(
        "The thesis, chapter 1: all good.\n",
      );
      const bad = new TextEncoder().encode("CORRUPTED BY RANSOMWARE\n");
      await Deno.writeTextFile(
        join(dir, "transfer.info"),
        `127.0.0.1:${server.port}\nerin\ndoc.txt\n`,
      );
      await Deno.writeFile(join(dir, "doc.txt"), good);
      await backup(dir);
      await Deno.writeFile(join(dir, "doc.txt"), bad);
      await backup(dir);

      const password = await adminPassword(server);
      const base = `http://127.0.0.1:${server.httpPort}`;
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        acceptDownloads: true,
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await signIn(page, base, password);
      const row = (n: number) => page.locator(`tr[data-version="${n}"]`);

      await t.step("the files list links to the two versions", async () => {
        await page.goto(`${base}/files`);
        const link = page.locator('tr[data-file="doc.txt"] [data-versions]');
        assert.equal(await link.getAttribute("data-versions"), "2");
        await Promise.all([
          page.waitForURL(/\/files\/versions\?/),
          link.click(),
        ]);
        assert.equal(await page.locator("h1").textContent(), "doc.txt");
        assert.equal(await page.locator("tr[data-version]").count(), 2);
        assert.match(await row(2).textContent() ?? "", /latest/);
      });

      await t.step("version 1 downloads with its own bytes", async () => {
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          row(1).locator('a:has-text("Download")').click(),
        ]);
        assert.equal(download.suggestedFilename(), "doc.txt");
        assertBytesEqual(await Deno.readFile(await download.path()), good);
      });

      await t.step("version 1 is pinned", async () => {
        await Promise.all([
          page.waitForURL(/done=version-pinned/),
          row(1).locator('button:has-text("Pin")').click(),
        ]);
        assert.match(await row(1).textContent() ?? "", /pinned/);
        assert.equal(
          await row(1).locator('button:has-text("Unpin")').count(),
          1,
        );
      });

      await t.step("version 2 goes to the trash and back", async () => {
        page.once("dialog", (dialog) => dialog.accept());
        await Promise.all([
          page.waitForURL(/done=version-trashed/),
          row(2).locator('button:has-text("Trash")').click(),
        ]);
        assert.match(await row(2).textContent() ?? "", /trashed/);
        // The latest copy is version 1 again: the good one.
        assert.match(await row(1).textContent() ?? "", /latest/);
        const latest = await page.request.get(
          `${base}/files/download?client=${
            new URL(page.url()).searchParams.get("client")
          }&name=doc.txt`,
        );
        assertBytesEqual(new Uint8Array(await latest.body()), good);
        await page.screenshot({
          path: `${SCREENSHOT_DIR}versions-trashed.png`,
          fullPage: true,
        });
        await Promise.all([
          page.waitForURL(/done=version-restored/),
          row(2).locator('button:has-text("Restore")').click(),
        ]);
        assert.doesNotMatch(await row(2).textContent() ?? "", /trashed/);
        assert.match(await row(2).textContent() ?? "", /latest/);
      });

      await t.step("screenshots at 1280 and 390 px", async () => {
        // At a laptop's 1280 px every column, the acts included, is in sight.
        const overflow = await page.locator(".table-box").evaluate((box) =>
          box.scrollWidth - box.clientWidth
        );
        assert.ok(overflow <= 0, `the version table scrolls by ${overflow} px`);
        await page.screenshot({
          path: `${SCREENSHOT_DIR}versions-1280.png`,
          fullPage: true,
        });
        await page.click("text=erin");
        await page.waitForURL(/\/clients\/[0-9a-f]{32}$/);
        const history = page.locator('[data-panel="history"]');
        assert.match(await history.textContent() ?? "", /Kept versions/);
        await page.screenshot({
          path: `${SCREENSHOT_DIR}client-history-1280.png`,
          fullPage: true,
        });
        await page.goto(`${base}/`);
        const saved = page.locator('[data-panel="dedup"] [data-saved]');
        assert.equal(await saved.getAttribute("data-saved"), "0");
        await page.screenshot({
          path: `${SCREENSHOT_DIR}dashboard-history-1280.png`,
          fullPage: true,
        });
        await page.goBack();
        await page.goBack();
        await page.setViewportSize({ width: 390, height: 844 });
        await page.screenshot({
          path: `${SCREENSHOT_DIR}versions-390.png`,
          fullPage: true,
        });
      });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(server.dataDir, { recursive: true });
    }
  },
});
