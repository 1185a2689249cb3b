/**
 * Scaling benchmark: the same batch of parallel uploads against servers
 * with 1, 2 and 4 TCP workers; the figure should grow with workers up to
 * the machine's core count.
 *
 *   deno run -A bench/scaling.ts [--clients 8] [--mib 32]
 *
 * Prints one line per figure: value, baseline (1 worker), ratio.
 * @module
 */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { startServer } from "../tests/e2e/harness.ts";
import { randomBytes, uploadMany } from "./load.ts";
import { line } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "8" },
    mib: { type: "string", default: "32" },
  },
});
const data = randomBytes(Number(values.mib) * 1024 * 1024);
line(`cores on this machine`, String(availableParallelism()));
let baseline = 0;
for (const workers of [1, 2, 4]) {
  const server = await startServer({ args: ["--workers", String(workers)] });
  try {
    const load = await uploadMany(server.port, {
      clients: Number(values.clients),
      data,
      prefix: `w${workers}`,
    });
    baseline ||= load.megabytesPerSecond;
    line(
      `${workers} worker(s), ${values.clients} parallel uploads (MB/s)`,
      load.megabytesPerSecond.toFixed(0),
      baseline.toFixed(0),
      (load.megabytesPerSecond / baseline).toFixed(2),
    );
    if (load.failed > 0) line("  FAILED uploads", String(load.failed));
  } finally {
    await server.stop();
  }
}
