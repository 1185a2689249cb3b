/**
 * The dashboard of the real server process follows a real upload through
 * the TCP port: live cards and a progress bar change in the browser.
 */
import assert from "node:assert/strict";
import { ResponseCode } from "../../server/protocol/constants.ts";
import {
  adminPassword,
  confirmChecksum,
  registerClient,
  sendFrames,
  startServer,
  uploadFrames,
} from "./harness.ts";
import {
  chromiumFor,
  ensureIslandBundle,
  launchChromium,
  SCREENSHOT_DIR,
  signIn,
  waitFor,
  waitForText,
} from "./portal_browser.ts";

const chromiumPath = chromiumFor("the live upload browser test");

Deno.test({
  name:
    "the dashboard's cards and progress bar follow a real client uploading over TCP",
  ignore: !chromiumPath,
  // Chromium's pipes outlive the test body by a moment.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureIslandBundle();
    const server = await startServer();
    const password = await adminPassword(server);
    assert.ok(server.httpPort, "the server announces its portal port");
    const browser = await launchChromium(chromiumPath!);
    try {
      const page = await browser.newPage({
        viewport: { width: 1360, height: 900 },
      });
      const base = `http://127.0.0.1:${server.httpPort}`;
      await signIn(page, base, password);
      await page.locator('[data-live="live"]').first().waitFor();
      const card = (id: string) =>
        page.locator(`[data-card="${id}"] .card-value`);
      await waitForText(card("transfers"), "0");
      await waitForText(card("files"), "0");

      const client = await registerClient(server.port, "dana");
      await waitForText(card("clients"), "1");
      await waitForText(card("connections"), "1");

      const data = crypto.getRandomValues(new Uint8Array(60_000));
      const big = new Uint8Array(4 * 1024 * 1024);
      for (let i = 0; i < big.length; i += data.length) {
        big.set(data.subarray(0, Math.min(data.length, big.length - i)), i);
      }
      const frames = uploadFrames(client, "live.bin", big, 128 * 1024);
      const half = frames.length / 2;
      for (const frame of frames.slice(0, half)) await client.raw.write(frame);
      await waitForText(card("transfers"), "1");
      const bar = page.locator("[data-transfer] progress");
      await waitFor(async () => {
        const value = Number(await bar.getAttribute("value"));
        const max = Number(await bar.getAttribute("max"));
        return value > 0 && value < max;
      });
      await page.screenshot({
        path: `${SCREENSHOT_DIR}/dashboard-live-upload.png`,
      });

      const received = await sendFrames(client, frames.slice(half));
      assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
      const ack = await confirmChecksum(client, "live.bin");
      assert.equal(ack?.code, ResponseCode.ACK);
      await waitForText(card("transfers"), "0");
      await waitForText(card("files"), "1");
      client.raw.close();
      await waitForText(card("connections"), "0");

      // Every figure shows whole ("4.00 MiB", not "4.00 M…"), also on a
      // laptop's 1280 px, where five cards share the row.
      await page.setViewportSize({ width: 1280, height: 900 });
      const clipped = await page.locator(".card-value").evaluateAll((cards) =>
        cards.filter((c) => c.scrollWidth > c.clientWidth)
          .map((c) => c.textContent)
      );
      assert.deepEqual(clipped, []);
    } finally {
      await browser.close();
      await server.stop();
    }
  },
});
