/**
 * The benchmarks' output format: one line per figure, with the baseline
 * measured in the same run and their ratio where there is one.
 * @module
 */

/** Prints `name value baseline ratio` as aligned columns. */
export function line(
  name: string,
  value: string,
  baseline = "",
  ratio = "",
): void {
  // deno-lint-ignore no-console -- a benchmark's output is its report
  console.log(
    [
      name.padEnd(46),
      value.padStart(12),
      baseline.padStart(12),
      ratio.padStart(7),
    ].join(" "),
  );
}

const encoder = new TextEncoder();

/** Prints `text` as it is, one line, written at once (a child's JSON answer stays whole). */
export function print(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text + "\n"));
}
