/**
 * Helpers for browser tests of the portal: find Debian's Chromium (never
 * download one), launch it headless through playwright-core, serve an app on
 * a free port, sign in. Reusable by other end-to-end tests (e.g. a real TCP
 * upload watched on the dashboard).
 * @module
 */
import {
  type Browser,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
import type { Hono } from "hono";
import { join } from "node:path";

/** Where Debian installs Chromium. */
const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** Path of a Chromium executable, or undefined when there is none. */
export function findChromium(): string | undefined {
  for (const path of CANDIDATES) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Chromium's path for a browser test file, or undefined after printing why
 * `what` is skipped (a skip with a reason, never a silent pass).
 */
export function chromiumFor(what: string): string | undefined {
  const path = findChromium();
  if (!path) {
    // deno-lint-ignore no-console
    console.log(
      `Skipping ${what}: no Chromium at /usr/bin/chromium (apt-get install chromium).`,
    );
  }
  return path;
}

/** Launches headless Chromium with flags that keep it off the network and out of the sandbox. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}

/** Serves `app` on 127.0.0.1 at a free port; `close()` stops it. */
export function servePortal(
  app: Hono,
  port = 0,
): { url: string; port: number; close(): Promise<void> } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    (request, info) => app.fetch(request, info),
  );
  const address = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: () => server.shutdown(),
  };
}

/** Signs in through the sign-in form and waits for the dashboard. */
export async function signIn(
  page: Page,
  baseUrl: string,
  password: string,
  user = "admin",
): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.waitForURL(/\/login/);
  await page.fill('input[name="user"]', user);
  await page.fill('input[name="password"]', password);
  await Promise.all([
    page.waitForURL(`${baseUrl}/`),
    page.click('button[type="submit"]'),
  ]);
}

/**
 * Builds static/islands/main.js unless it is newer than every file under
 * the folders the bundle is built from (islands/, browser/ where the
 * browser client lives, shared/ and the pure server/protocol/).
 */
export async function ensureIslandBundle(): Promise<void> {
  const sources = ["islands/", "browser/", "shared/", "server/protocol/"].map(
    (folder) => new URL(`../../${folder}`, import.meta.url).pathname,
  );
  const bundle = new URL("../../static/islands/main.js", import.meta.url);
  const built = await Deno.stat(bundle).then(
    (s) => s.mtime?.getTime() ?? 0,
    () => 0,
  );
  const newest = async (dir: string): Promise<number> => {
    let time = 0;
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      time = Math.max(
        time,
        entry.isDirectory
          ? await newest(path)
          : (await Deno.stat(path)).mtime?.getTime() ?? 0,
      );
    }
    return time;
  };
  const times = await Promise.all(sources.map(newest));
  if (built > Math.max(...times)) return;
  const { buildIslands } = await import("../../dev.ts");
  await buildIslands();
}

/** Where screenshots go (git-ignored). */
export const SCREENSHOT_DIR =
  new URL("./screenshots/", import.meta.url).pathname;

/** Polls `check` until it holds, failing after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error("Timed out waiting for the page to change");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the locator's trimmed text is `text`. */
export async function waitForText(
  locator: Locator,
  text: string,
): Promise<void> {
  await waitFor(async () => (await locator.textContent())?.trim() === text);
}

/**
 * The colour [r, g, b] of `element` as drawn on screen at `x`, `y` pixels
 * from its top left (negative: from its right or bottom edge). The
 * screenshot is decoded on a blank page, outside the portal's CSP.
 */
export async function pixelOf(
  element: Locator,
  at: { x: number; y: number },
): Promise<number[]> {
  const png = await element.screenshot();
  const blank = await element.page().context().newPage();
  try {
    return await blank.evaluate(async ({ data, x, y }) => {
      const image = new Image();
      image.src = `data:image/png;base64,${data}`;
      await image.decode();
      const canvas = new OffscreenCanvas(image.width, image.height);
      const context = canvas.getContext("2d")!;
      context.drawImage(image, 0, 0);
      const px = x < 0 ? image.width + x : x;
      const py = y < 0 ? image.height + y : y;
      return [...context.getImageData(px, py, 1, 1).data].slice(0, 3);
    }, { data: png.toString("base64"), ...at });
  } finally {
    await blank.close();
  }
}
