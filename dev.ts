/**
 * Builds what the server needs from its sources: the route manifest
 * (server/portal/manifest.gen.ts, from the files under routes/) and the
 * island bundle (browser/main.ts and everything it imports, bundled and
 * minified by esbuild into static/islands/main.js). Runs before
 * `deno task start`, `test`, `compile` and `package`; needs no network (esbuild's
 * binary comes with its npm package). The only importer of esbuild.
 *
 *     deno run -A dev.ts
 *
 * @module
 */
import * as esbuild from "esbuild";
// Imported so that Deno installs them into node_modules, where esbuild looks.
import "preact";
import "preact/hooks";
import "@preact/signals";
import { writeManifest } from "./server/portal/manifest_writer.ts";

const ROOT = import.meta.dirname!;
const ENTRY = `${ROOT}/browser/main.ts`;
const OUT_DIR = `${ROOT}/static/islands`;
const OUT_FILE = `${OUT_DIR}/main.js`;

/** Bundles the islands into static/islands/main.js (written atomically). */
export async function buildIslands(
  options: { minify?: boolean } = {},
): Promise<void> {
  try {
    const result = await esbuild.build({
      entryPoints: [ENTRY],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: ["es2020"],
      minify: options.minify ?? true,
      jsx: "automatic",
      jsxImportSource: "preact",
      write: false,
      outfile: OUT_FILE,
      absWorkingDir: ROOT,
      logLevel: "silent",
      legalComments: "none",
    });
    await Deno.mkdir(OUT_DIR, { recursive: true });
    for (const file of result.outputFiles) {
      const temp = `${file.path}.${crypto.randomUUID()}.tmp`;
      await Deno.writeFile(temp, file.contents);
      await Deno.rename(temp, file.path);
    }
  } finally {
    await esbuild.stop();
  }
}

if (import.meta.main) {
  await writeManifest();
  await buildIslands({ minify: !Deno.args.includes("--no-minify") });
}
