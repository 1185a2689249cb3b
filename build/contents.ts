/**
 * What goes into the single executable, read by both ways of building it:
 * `deno task compile` (build/compile.ts, `deno compile`) and
 * `deno task package` (build/package.ts, a self-extracting file). One list,
 * so that neither build can lack a file the other has.
 * @module
 */

/** The program's entry module, relative to the repository root. */
export const ENTRY = "main.ts";

/**
 * Files and folders the entry's static imports do not reach but the program
 * loads at run time, relative to the repository root: the assets and island
 * bundle served from static/ (built by dev.ts), and the worker entry points
 * started with `new Worker(new URL(..., import.meta.url))`.
 */
export const INCLUDE = [
  "static",
  "server/tcp/worker.ts",
  "client/packet_worker.ts",
] as const;

/**
 * Flags the program runs with: baked into the compiled binary, passed to
 * `deno run` by the package. `--unstable-net` for the workers' reusePort.
 */
export const RUN_FLAGS = ["--allow-all", "--unstable-net"] as const;

/** The repository root (this file is in build/). */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
