// deno-lint-ignore-file no-console -- a soak run's output is its report
/**
 * The long crash-safety run (issue item 2): clients upload and verify in a
 * loop while the server is killed with SIGKILL at seeded random moments and
 * restarted on the same data directory, many times. After every restart the
 * data directory must be consistent (tests/soak/consistency.ts) and every
 * acknowledged 1029 must have survived.
 *
 *   deno run --allow-all tests/soak/crash.ts [--cycles 100] [--seed 11]
 *
 * Exits 1 when anything failed.
 * @module
 */
import { parseArgs } from "node:util";
import {
  registerClient,
  startServer,
  type TestServer,
} from "../e2e/harness.ts";
import {
  checkLedger,
  churn,
  inconsistencies,
  type Ledger,
} from "./consistency.ts";
import { backUpWithClient, readDb, seededBytes } from "./helpers.ts";
import { Rng } from "./rng.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    cycles: { type: "string", default: "100" },
    seed: { type: "string", default: "11" },
    clients: { type: "string", default: "4" },
  },
});
const cycles = Number(values.cycles);
const rng = new Rng(Number(values.seed));
const problems: string[] = [];
let server: TestServer = await startServer();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    server.kill().finally(() => Deno.exit(130));
  });
}
const started = Date.now();
let verified = 0;
/** Renames undone at start-up: kills that hit between a rename and its record. */
let undone = 0;
try {
  const clients = [];
  for (let i = 0; i < Number(values.clients); i++) {
    const client = await registerClient(server.port, `crash-${i}`);
    client.raw.close();
    clients.push(client);
  }
  const ledger: Ledger = new Map();
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const running = clients.map((c) =>
      churn(server.port, c, { rng: rng.fork(), ledger })
    );
    await new Promise((resolve) => setTimeout(resolve, rng.range(100, 1500)));
    await server.kill();
    const done = (await Promise.all(running)).reduce((a, b) => a + b);
    verified += done;
    server = await startServer({ dataDir: server.dataDir });
    undone += server.output().match(/Undid the interrupted commit/g)?.length ??
      0;
    const found = [
      ...await inconsistencies(server.dataDir),
      ...checkLedger(server.dataDir, clients, ledger),
    ];
    for (const problem of found) problems.push(`cycle ${cycle}: ${problem}`);
    if (cycle % 10 === 0 || found.length) {
      console.log(
        `cycle ${cycle}: ${verified} uploads verified so far, ${problems.length} problems${
          found.length ? `: ${found.join("; ")}` : ""
        }`,
      );
    }
  }
  const outcomes = readDb<{ Outcome: string; n: number }>(
    server.dataDir,
    "SELECT Outcome, COUNT(*) AS n FROM transfers GROUP BY Outcome",
  );
  console.log(
    `${cycles} SIGKILLs in ${
      ((Date.now() - started) / 1000).toFixed(0)
    } s; ${verified} uploads acknowledged; ${undone} renames undone at start-up; transfers: ${
      outcomes.map((o) => `${o.Outcome} ${o.n}`).join(", ")
    }`,
  );
  await backUpWithClient(server, {
    user: "after-the-crashes",
    fileName: "last.bin",
    data: seededBytes(1, 500_000),
  });
  console.log("a real client verified an upload after the last restart");
} catch (error) {
  problems.push((error as Error).stack ?? String(error));
} finally {
  await server.stop();
}
for (const problem of problems.slice(0, 20)) console.log(`FAIL ${problem}`);
console.log(
  problems.length ? `${problems.length} problems` : "all checks passed",
);
Deno.exit(problems.length ? 1 : 0);
