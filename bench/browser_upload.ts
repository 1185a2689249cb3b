/**
 * Browser upload benchmark: one large file backed up from headless Chromium
 * through the /backup page and the JSON API on loopback, against the
 * command-line client uploading the same file over TCP to the same server in
 * the same run. Also samples the memory of Chromium's processes, which must
 * stay flat however large the file (it is read and encrypted in packets).
 *
 *   deno run -A bench/browser_upload.ts [--size-mib 512]
 *
 * Needs Debian's /usr/bin/chromium. Prints one line per figure: name,
 * value, baseline, ratio.
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  ensureIslandBundle,
  findChromium,
  launchChromium,
} from "../tests/e2e/portal_browser.ts";
import {
  type BackupServer,
  startBackupServer,
  writeRandomFile,
} from "../tests/e2e/backup_server.ts";
import { line } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { "size-mib": { type: "string", default: "512" } },
});
const SIZE = Number(values["size-mib"]) * 1024 * 1024;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Resident memory of every Chromium process, in bytes. */
async function chromiumRss(): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const status = await Deno.readTextFile(`/proc/${entry.name}/status`);
      if (!/^Name:\s+(chromium|chrome)/m.test(status)) continue;
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

async function cliUpload(server: BackupServer, dir: string, path: string) {
  await Deno.writeTextFile(
    join(dir, "transfer.info"),
    `127.0.0.1:${server.tcpPort}\ncli-bench\n${path}\n`,
  );
  const started = performance.now();
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "backup", "--dir", dir],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(new TextDecoder().decode(result.stderr));
  }
  return performance.now() - started;
}

const chromium = findChromium();
if (!chromium) {
  line("browser upload", "skipped: no /usr/bin/chromium");
  Deno.exit(0);
}
await ensureIslandBundle();
const work = await Deno.makeTempDir({ prefix: "cb-bench-browser-" });
const server = await startBackupServer();
const browser = await launchChromium(chromium);
try {
  const path = join(work, "payload.bin");
  await writeRandomFile(path, SIZE);
  const page = await browser.newPage();
  await page.goto(`${server.http}/backup`);
  await page.fill('input[name="name"]', "browser-bench");
  await page.click('[data-action="register"]');
  await page.locator('[data-stage="connected"]').waitFor();
  const idle = await chromiumRss();
  let peak = idle;
  const sampler = setInterval(async () => {
    peak = Math.max(peak, await chromiumRss());
  }, 250);
  const started = performance.now();
  await page.setInputFiles('input[data-role="files"]', path);
  const row = page.locator('li[data-file="payload.bin"]');
  await row.and(page.locator('[data-state="verified"], [data-state="failed"]'))
    .waitFor({ timeout: 30 * 60_000 });
  const browserMs = performance.now() - started;
  clearInterval(sampler);
  if (await row.getAttribute("data-state") !== "verified") {
    throw new Error(`Browser upload failed: ${await row.textContent()}`);
  }
  const reported = (await row.locator('[data-role="rate"]').textContent())
    ?.trim();

  const cliDir = join(work, "cli");
  await Deno.mkdir(cliDir);
  const cliMs = await cliUpload(server, cliDir, path);

  const mb = SIZE / 1e6;
  const browserRate = mb / (browserMs / 1000);
  const cliRate = mb / (cliMs / 1000);
  line("figure", "value", "baseline", "ratio");
  line(
    `browser upload ${SIZE / 2 ** 20} MiB, HTTP (MB/s)`,
    browserRate.toFixed(0),
    cliRate.toFixed(0),
    (browserRate / cliRate).toFixed(2),
  );
  line("  baseline: cyberbackup backup over TCP (MB/s)", cliRate.toFixed(0));
  line("  rate the page showed", reported ?? "–");
  line(
    "Chromium RSS growth during upload (MiB) vs the file",
    ((peak - idle) / 2 ** 20).toFixed(0),
    `file ${(SIZE / 2 ** 20).toFixed(0)}`,
    ((peak - idle) / SIZE).toFixed(3),
  );
  line(
    "Chromium RSS idle / peak (MiB)",
    `${(idle / 2 ** 20).toFixed(0)} / ${(peak / 2 ** 20).toFixed(0)}`,
  );
} finally {
  await browser.close();
  await server.stop();
  await Deno.remove(work, { recursive: true });
}
