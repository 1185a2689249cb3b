/**
 * Browser restore in headless Chromium against the real server: two
 * versions of one file backed up over TCP, listed on /backup, restored
 * byte for byte, one streamed to a file (File System Access API, into the
 * origin's private file system in place of the save dialog) and one
 * through memory and a download (the fallback of other browsers).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { runBackup } from "../../client/backup.ts";
import { assertBytesEqual } from "../bytes_assert.ts";
import { collectOutput } from "../client/helpers.ts";
import {
  chromiumFor,
  ensureIslandBundle,
  launchChromium,
} from "./portal_browser.ts";
import { startBackupServer, writeRandomFile } from "./backup_server.ts";

const chromiumPath = chromiumFor("the browser restore test");

/** Imports `me.info` on /backup and waits for the versions of doc.bin. */
async function openAs(page: Page, http: string, meInfo: string) {
  await page.goto(`${http}/backup`);
  await page.locator('[data-stage="new"]').waitFor();
  await page.setInputFiles('input[data-role="import"]', meInfo);
  await page.locator('[data-stage="connected"]').waitFor();
  await page.locator('table[data-restore="versions"] tr[data-file="doc.bin"]')
    .nth(1).waitFor();
}

function row(page: Page, version: number) {
  return page.locator(
    `table[data-restore="versions"] tr[data-file="doc.bin"][data-version="${version}"]`,
  );
}

Deno.test({
  name:
    "in the browser both versions of a file restore byte for byte, streamed to a file or through memory",
  ignore: !chromiumPath,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureIslandBundle();
    const server = await startBackupServer();
    const work = await Deno.makeTempDir({ prefix: "cb-e2e-restore-" });
    const browser = await launchChromium(chromiumPath!);
    try {
      await Deno.writeTextFile(
        join(work, "transfer.info"),
        `127.0.0.1:${server.tcpPort}\nrestorer\ndoc.bin\n`,
      );
      // Version 1 spans several 1 MiB frames; version 2 is another size.
      const versions: Uint8Array[] = [];
      for (const [i, size] of [3 * 1024 * 1024 + 5, 700_001].entries()) {
        await writeRandomFile(join(work, "doc.bin"), size, i + 11);
        versions.push(await Deno.readFile(join(work, "doc.bin")));
        const out = collectOutput();
        assert.equal(await runBackup({ dir: work, out }), 0, out.errors.join());
      }
      const meInfo = join(work, "me.info");

      // Streamed: the save dialog replaced by a file of the origin's
      // private file system, written by the same FileSystemWritableFileStream.
      const streaming = await browser.newContext();
      await streaming.addInitScript(() => {
        Object.assign(globalThis, {
          showSaveFilePicker: async (options: { suggestedName: string }) =>
            await (await navigator.storage.getDirectory()).getFileHandle(
              options.suggestedName,
              { create: true },
            ),
        });
      });
      const page = await streaming.newPage();
      await openAs(page, server.http, meInfo);
      assert.match(
        await page.locator('[aria-labelledby="restore-heading"]').innerText(),
        /written straight to the file you choose/,
      );
      await row(page, 1).locator('[data-action="restore"]').click();
      await page.locator(
        'tr[data-file="doc.bin"][data-version="1"][data-restore-state="done"]',
      ).waitFor({ timeout: 60_000 });
      const written = await page.evaluate(async () => {
        const root = await navigator.storage.getDirectory();
        const file = await (await root.getFileHandle("doc.bin")).getFile();
        const digest = await crypto.subtle.digest(
          "SHA-256",
          await file.arrayBuffer(),
        );
        return {
          size: file.size,
          sha256: Array.from(
            new Uint8Array(digest),
            (b) => b.toString(16).padStart(2, "0"),
          ).join(""),
        };
      });
      assert.deepEqual(written, {
        size: versions[0].length,
        sha256: createHash("sha256").update(versions[0]).digest("hex"),
      });

      // Through memory: no File System Access API, a download instead.
      const fallback = await browser.newContext({ acceptDownloads: true });
      await fallback.addInitScript(() => {
        Object.defineProperty(globalThis, "showSaveFilePicker", {
          value: undefined,
          configurable: true,
        });
      });
      const other = await fallback.newPage();
      await openAs(other, server.http, meInfo);
      assert.match(
        await other.locator('[aria-labelledby="restore-heading"]').innerText(),
        /keeps a restored file in memory/,
      );
      const [download] = await Promise.all([
        other.waitForEvent("download"),
        row(other, 2).locator('[data-action="restore"]').click(),
      ]);
      assert.equal(download.suggestedFilename(), "doc.bin");
      const saved = join(work, "downloaded.bin");
      await download.saveAs(saved);
      const bytes = await Deno.readFile(saved);
      assertBytesEqual(bytes, versions[1], "downloaded");
      await other.locator(
        'tr[data-file="doc.bin"][data-version="2"][data-restore-state="done"]',
      ).waitFor();
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(work, { recursive: true });
    }
  },
});
