/**
 * The browser backup client in headless Chromium against the real server:
 * register, upload three files (0 bytes, 1 MiB + 5, 50 MiB) that all reach
 * "verified" and are stored byte for byte, see them in the admin portal,
 * reload and continue as the saved identity, export and import it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "playwright-core";
import {
  chromiumFor,
  ensureIslandBundle,
  launchChromium,
  pixelOf,
  SCREENSHOT_DIR,
  signIn,
} from "./portal_browser.ts";
import {
  type BackupServer,
  sameFile,
  startBackupServer,
  writeRandomFile,
} from "./backup_server.ts";

const MiB = 1024 * 1024;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const chromiumPath = chromiumFor("the browser backup client test");

const FILES = [
  { name: "empty.bin", size: 0 },
  { name: "one-mib-plus-5.bin", size: MiB + 5 },
  { name: "fifty-mib.bin", size: 50 * MiB },
];

async function register(page: Page, server: BackupServer, name: string) {
  await page.goto(`${server.http}/backup`);
  await page.locator('[data-stage="new"]').waitFor();
  await page.fill('input[name="name"]', name);
  await page.click('[data-action="register"]');
  await page.locator('[data-stage="connected"]').waitFor();
}

Deno.test({
  name:
    "in the browser a new identity backs up three files that the server stores byte for byte, and the saved identity continues after a reload",
  ignore: !chromiumPath,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureIslandBundle();
    const server = await startBackupServer();
    const work = await Deno.makeTempDir({ prefix: "cb-e2e-browser-" });
    const browser = await launchChromium(chromiumPath!);
    try {
      for (const [i, file] of FILES.entries()) {
        await writeRandomFile(join(work, file.name), file.size, i + 1);
      }
      const context = await browser.newContext({
        viewport: { width: 1100, height: 900 },
        acceptDownloads: true,
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(error.message));
      await register(page, server, "Browser User");
      const clientId = (await page.locator("code.id").textContent())!.trim();
      assert.match(clientId, /^[0-9a-f]{32}$/);

      await page.setInputFiles(
        'input[data-role="files"]',
        FILES.map((f) => join(work, f.name)),
      );
      for (const file of FILES) {
        const row = page.locator(`li[data-file="${file.name}"]`);
        await row.and(page.locator('[data-state="verified"]')).waitFor({
          timeout: 120_000,
        });
      }
      assert.equal(
        await page.locator('li[data-state="failed"]').count(),
        0,
        await page.locator('[role="alert"]').allTextContents().then((t) =>
          t.join("\n")
        ),
      );
      // Each bar is drawn whole and green, as its badge says, also the one
      // that just finished (it once stood at two thirds beside "verified").
      for (const file of FILES) {
        const bar = page.locator(`li[data-file="${file.name}"] progress`);
        const [r, g, b] = await pixelOf(bar, { x: -12, y: 4 });
        assert.ok(
          g > 100 && g > r + 40 && g > b + 40,
          `the bar of ${file.name} ends green (${r}, ${g}, ${b})`,
        );
      }
      const folder = join(server.dataDir, "received_files", clientId);
      for (const file of FILES) {
        assert.ok(
          await sameFile(join(work, file.name), join(folder, file.name)),
          `${file.name} is stored byte for byte`,
        );
      }
      // The history lists all three as verified.
      for (const file of FILES) {
        await page.locator(
          `table[data-history="files"] tr[data-file="${file.name}"][data-verified="true"]`,
        ).waitFor();
      }
      await page.screenshot({ path: `${SCREENSHOT_DIR}/backup.png` });

      // The admin portal lists them.
      const admin = await context.newPage();
      await signIn(admin, server.http, server.adminPassword);
      await admin.goto(`${server.http}/files`);
      const table = (await admin.locator("main").textContent()) ?? "";
      for (const file of FILES) {
        assert.ok(table.includes(file.name), `${file.name} in the portal`);
      }
      await admin.close();

      // Reload: the identity saved in IndexedDB continues.
      await page.reload();
      await page.locator('[data-stage="saved"]').waitFor();
      assert.equal(
        await page.locator("[data-identity]").getAttribute("data-identity"),
        "Browser User",
      );
      await page.click('[data-action="continue"]');
      await page.locator('[data-stage="connected"]').waitFor();
      await page.locator('table[data-history="files"] tr[data-file]')
        .nth(2).waitFor();

      // Export the identity, forget it, import it again.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click('[data-action="export"]'),
      ]);
      const exported = join(work, "me.info");
      await download.saveAs(exported);
      const lines = (await Deno.readTextFile(exported)).split("\n");
      assert.equal(lines[0], "Browser User");
      assert.equal(lines[1], clientId);
      assert.match(lines[2], /^[A-Za-z0-9+/]+=*$/);
      page.once("dialog", (dialog) => dialog.accept());
      await page.click('[data-action="forget"]');
      await page.locator('[data-stage="new"]').waitFor();
      await page.setInputFiles('input[data-role="import"]', exported);
      await page.locator('[data-stage="connected"]').waitFor();
      assert.equal(
        await page.locator("code.id").textContent(),
        clientId,
      );
      assert.deepEqual(problems, [], "no script errors on the page");
      await context.close();
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "in the browser a taken name and an unknown identity file get clear messages",
  ignore: !chromiumPath,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureIslandBundle();
    const server = await startBackupServer();
    const work = await Deno.makeTempDir({ prefix: "cb-e2e-browser-" });
    const browser = await launchChromium(chromiumPath!);
    try {
      const first = await browser.newContext();
      await register(await first.newPage(), server, "taken");
      const second = await browser.newContext();
      const page = await second.newPage();
      await page.goto(`${server.http}/backup`);
      await page.locator('[data-stage="new"]').waitFor();
      await page.fill('input[name="name"]', "taken");
      await page.click('[data-action="register"]');
      const alert = page.locator('[role="alert"]');
      await alert.waitFor();
      assert.match(
        (await alert.textContent()) ?? "",
        /"taken" is already registered/,
      );

      // A well-formed identity the server does not know.
      const { generateKeyPair } = await import(
        "../../server/crypto/rsa_oaep.ts"
      );
      const key = btoa(
        String.fromCharCode(...generateKeyPair().privateKey),
      );
      const stranger = join(work, "me.info");
      await Deno.writeTextFile(
        stranger,
        `stranger\n${"ab".repeat(16)}\n${key}\n`,
      );
      await page.setInputFiles('input[data-role="import"]', stranger);
      await page.locator('[data-stage="saved"]').waitFor();
      await page.locator('[role="alert"]', {
        hasText: "does not know this identity",
      }).waitFor();
      await first.close();
      await second.close();
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "in the browser the me.info of cyberbackup backup (exponent 17) continues the identity that uploaded over TCP",
  ignore: !chromiumPath,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureIslandBundle();
    const server = await startBackupServer();
    const work = await Deno.makeTempDir({ prefix: "cb-e2e-browser-" });
    const browser = await launchChromium(chromiumPath!);
    try {
      await writeRandomFile(join(work, "tcp.bin"), 200_000, 7);
      await writeRandomFile(join(work, "browser.bin"), 300_000, 8);
      await Deno.writeTextFile(
        join(work, "transfer.info"),
        `127.0.0.1:${server.tcpPort}\nterminal user\ntcp.bin\n`,
      );
      const cli = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", MAIN, "backup", "--dir", work],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(cli.code, 0, new TextDecoder().decode(cli.stderr));
      const clientId = (await Deno.readTextFile(join(work, "me.info")))
        .split("\n")[1];

      const page = await browser.newPage();
      await page.goto(`${server.http}/backup`);
      await page.locator('[data-stage="new"]').waitFor();
      await page.setInputFiles(
        'input[data-role="import"]',
        join(work, "me.info"),
      );
      await page.locator('[data-stage="connected"]').waitFor();
      assert.equal(await page.locator("code.id").textContent(), clientId);
      await page.setInputFiles(
        'input[data-role="files"]',
        join(work, "browser.bin"),
      );
      await page.locator('li[data-file="browser.bin"][data-state="verified"]')
        .waitFor({ timeout: 60_000 });
      // A file dropped on the drop zone goes the same way.
      const dropped = await page.evaluateHandle(() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File(["dropped in\n"], "dropped.txt"));
        return transfer;
      });
      await page.locator('[data-role="dropzone"]').dispatchEvent("drop", {
        dataTransfer: dropped,
      });
      await page.locator('li[data-file="dropped.txt"][data-state="verified"]')
        .waitFor();
      const folder = join(server.dataDir, "received_files", clientId);
      assert.equal(
        await Deno.readTextFile(join(folder, "dropped.txt")),
        "dropped in\n",
      );
      for (const name of ["tcp.bin", "browser.bin"]) {
        assert.ok(await sameFile(join(work, name), join(folder, name)), name);
      }
      // The history shows both, uploaded by either client.
      for (const name of ["tcp.bin", "browser.bin"]) {
        await page.locator(
          `table[data-history="files"] tr[data-file="${name}"][data-verified="true"]`,
        ).waitFor();
      }
      const via = await page.locator('table[data-history="transfers"] td')
        .allTextContents();
      assert.ok(via.includes("command line") && via.includes("browser"));
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(work, { recursive: true });
    }
  },
});
