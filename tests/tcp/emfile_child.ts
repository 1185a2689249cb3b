/**
 * Child process of emfile_test.ts: runs a one-worker TCP pool, then fills
 * the process's descriptor table (run it under a low `ulimit -n`) until the
 * parent says "release", then stops the pool when told "stop". Prints each
 * step on a line of its own.
 * @module
 */
// deno-lint-ignore-file no-console -- the child's protocol with its parent
import { TcpServer } from "../../server/tcp/pool.ts";
import { configIn } from "./worker_config.ts";

const [dataDir] = Deno.args;
const server = await TcpServer.start({
  config: configIn(dataDir),
  workers: 1,
  limits: { maxConnections: 100, idleTimeoutMs: 60_000 },
  onEvent: () => {},
});
console.log(`port ${server.port}`);
/** Waits for the parent's next word (one write each). */
const nextWord = () => Deno.stdin.read(new Uint8Array(64));
// Deno sets up its signal handling lazily and panics when that finds the
// table full (ext/signals): have it done before.
Deno.addSignalListener("SIGINT", () => {});
const hoard: Deno.FsFile[] = [];
try {
  for (;;) hoard.push(Deno.openSync("/dev/null"));
} catch (error) {
  console.log(`full after ${hoard.length}: ${(error as Error).message}`);
}
await nextWord();
for (const file of hoard) file.close();
console.log("released");
await nextWord();
const started = Date.now();
await server.stop(1000);
console.log(`stopped in ${Date.now() - started} ms`);
Deno.exit(0);
