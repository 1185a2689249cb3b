/**
 * The packaged executable (build/package.ts): build time, size, and start
 * times against the same program run from source with `deno run` in the
 * same run. A start is `--version` to its exit, or `serve` until `/health`
 * answers 200; the first start of the package unpacks into an empty cache,
 * later ones check the unpacked files and run. Starts are the median of a
 * few runs (a first start each time in a new cache).
 *
 *   deno run -A bench/package.ts [--runs 5]
 *
 * Prints one line per figure: name, value, baseline, ratio.
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildPackage } from "../build/package.ts";
import { serveCommand } from "../tests/e2e/harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "5" } },
});
const RUNS = Number(values.runs);
const MAIN = new URL("../main.ts", import.meta.url).pathname;

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Milliseconds until `command` exits (status 0). */
async function timeExit(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const started = performance.now();
  const { code, stderr } = await new Deno.Command(command, {
    args,
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
  return performance.now() - started;
}

/** Milliseconds until `serve` answers 200 on /health; then stops it. */
async function timeHealth(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const dataDir = await Deno.makeTempDir({ prefix: "cb-bench-pkg-" });
  const started = performance.now();
  const child = new Deno.Command(command, {
    args: [...args, ...serveCommand(dataDir), "--workers", "2"],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk);
  };
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  try {
    while (true) {
      const port = /Portal listening on http:\/\/[^\s]+:(\d+)/.exec(text)?.[1];
      if (port) {
        const response = await fetch(`http://127.0.0.1:${port}/health`)
          .catch(() => undefined);
        await response?.body?.cancel();
        if (response?.status === 200) return performance.now() - started;
      }
      if (performance.now() - started > 30_000) {
        throw new Error(`serve did not answer /health:\n${text}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await collected;
    await Deno.remove(dataDir, { recursive: true });
  }
}

function line(name: string, value: number, baseline: number, unit: string) {
  // deno-lint-ignore no-console -- the benchmark's output
  console.log(
    `${name.padEnd(46)} ${value.toFixed(0).padStart(6)} ${unit}  baseline ${
      baseline.toFixed(0).padStart(6)
    } ${unit}  ratio ${(value / baseline).toFixed(2)}`,
  );
}

const dist = await Deno.makeTempDir({ prefix: "cb-bench-pkg-dist-" });
const exe = join(dist, "cyberbackup");
const buildStarted = performance.now();
const size = await buildPackage(exe);
const buildMs = performance.now() - buildStarted;
const deno = (await Deno.stat(Deno.execPath())).size;
line(
  "package size (MiB) vs the deno binary",
  size / 2 ** 20,
  deno / 2 ** 20,
  "MiB",
);
// deno-lint-ignore no-console -- the benchmark's output
console.log(`package build: ${(buildMs / 1000).toFixed(1)} s`);

const firsts = { version: [] as number[], health: [] as number[] };
const seconds = { version: [] as number[], health: [] as number[] };
const source = { version: [] as number[], health: [] as number[] };
for (let i = 0; i < RUNS; i++) {
  const env = {
    XDG_CACHE_HOME: await Deno.makeTempDir({ prefix: "cb-bench-pkg-cache-" }),
  };
  firsts.version.push(await timeExit(exe, ["--version"], env));
  seconds.version.push(await timeExit(exe, ["--version"], env));
  // serve loads more modules (the workers'): its later start follows a
  // first start of serve, in a cache of its own.
  const fresh = {
    XDG_CACHE_HOME: await Deno.makeTempDir({ prefix: "cb-bench-pkg-cache-" }),
  };
  firsts.health.push(await timeHealth(exe, [], fresh));
  seconds.health.push(await timeHealth(exe, [], fresh));
  source.version.push(
    await timeExit(Deno.execPath(), ["run", "-A", MAIN, "--version"], {}),
  );
  source.health.push(
    await timeHealth(Deno.execPath(), ["run", "-A", MAIN], {}),
  );
  for (const dir of [env.XDG_CACHE_HOME, fresh.XDG_CACHE_HOME]) {
    await Deno.remove(dir, { recursive: true });
  }
}
const baseVersion = median(source.version);
const baseHealth = median(source.health);
line(
  "--version, first start (unpacks) vs source",
  median(firsts.version),
  baseVersion,
  "ms",
);
line(
  "--version, later start vs source",
  median(seconds.version),
  baseVersion,
  "ms",
);
line(
  "serve to /health 200, first start vs source",
  median(firsts.health),
  baseHealth,
  "ms",
);
line(
  "serve to /health 200, later start vs source",
  median(seconds.health),
  baseHealth,
  "ms",
);
await Deno.remove(dist, { recursive: true });
