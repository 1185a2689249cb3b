/**
 * `deno task compile`: builds the single executable `./cyberbackup` with
 * `deno compile`, from the entry, include list and flags in
 * build/contents.ts. Arguments are passed to `deno compile` before the
 * entry, so `--output PATH` or `--target TRIPLE` may be given.
 *
 *     deno run -A build/compile.ts [--output PATH] [--target TRIPLE]
 *
 * `deno compile` downloads Deno's runtime (`denort`) the first time; where
 * that host is unreachable, set `DENORT_BIN` to a `denort` of the same
 * version.
 * @module
 */
import { ENTRY, INCLUDE, ROOT, RUN_FLAGS } from "./contents.ts";

/** The arguments of `deno compile` for this program. */
export function compileArgs(extra: readonly string[]): string[] {
  const output = extra.includes("--output") ? [] : ["--output", "cyberbackup"];
  return [
    "compile",
    ...RUN_FLAGS,
    ...INCLUDE.flatMap((path) => ["--include", path]),
    ...output,
    ...extra,
    ENTRY,
  ];
}

if (import.meta.main) {
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(Deno.args),
    cwd: ROOT,
  }).spawn().status;
  Deno.exit(code);
}
