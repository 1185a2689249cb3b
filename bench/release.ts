/**
 * The upload benchmark against a previous release, in one run: a checkout of
 * `--baseline` (a git revision, by default the last release before backup
 * history) and this tree each start their own server, and rounds alternate
 * between the two, so that whatever else the machine is doing slows both
 * alike. Per side, the best of the rounds:
 *
 * - end to end: the side's own command-line client (`main.ts backup`)
 *   uploads the file to the side's server: encrypt, send, receive, decrypt,
 *   checksum, (hash,) write, verify, as a user runs it;
 * - server alone: the same light client for both sides (bench/load.ts)
 *   sends the file pre-encrypted, so the figure is the server's work.
 *
 * End to end, both sides upload the same file every round, as a user
 * backing up an unchanged file does (the current side then deduplicates
 * it); the server-alone uploads are new content every time (their first
 * bytes are the round's number), so that both sides do the same work but
 * the content address.
 *
 *   deno run -A bench/release.ts [--baseline d56aed3] [--size-mib 512] [--rounds 5]
 *
 * Needs the repository's git history. Prints one line per figure: name,
 * value (this tree), baseline (the release), ratio.
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeRandomFile } from "../tests/e2e/backup_server.ts";
import { startServer, type TestServer } from "../tests/e2e/harness.ts";
import { tmpEmptied } from "../tests/history/fixture.ts";
import { uploadMany } from "./load.ts";
import { line } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    baseline: { type: "string", default: "d56aed3" },
    "size-mib": { type: "string", default: "512" },
    rounds: { type: "string", default: "5" },
  },
});
const SIZE = Number(values["size-mib"]) * 2 ** 20;
const ROUNDS = Number(values.rounds);
const ROOT = new URL("..", import.meta.url).pathname;

/** Runs a command to its end; throws with its output when it fails. */
async function run(cmd: string, args: string[], cwd = ROOT): Promise<void> {
  const { success, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
  }).output();
  if (!success) {
    const text = new TextDecoder();
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${text.decode(stdout)}${
        text.decode(stderr)
      }`,
    );
  }
}

/** Seconds `job` took. */
async function timed(job: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await job();
  return (performance.now() - started) / 1000;
}

/**
 * Waits for what a server does just after its answers (freeing a
 * deduplicated upload's own bytes), so that it never runs into the next
 * measurement; a release without a `.tmp` folder has nothing to wait for.
 */
async function settled(server: TestServer): Promise<void> {
  const root = join(server.dataDir, "received_files");
  const hasTmp = await Deno.stat(join(root, ".tmp")).then(
    () => true,
    () => false,
  );
  if (hasTmp) await tmpEmptied(root);
}

/** One side of the comparison: a checkout, its server and its client's folder. */
interface Side {
  name: string;
  tree: string;
  server?: TestServer;
  clientDir: string;
  endToEnd: number;
  alone: number;
}

const work = await Deno.makeTempDir({ prefix: "cb-bench-release-" });
const baselineTree = join(work, "baseline");
const sides: Side[] = [
  { name: "baseline", tree: baselineTree },
  { name: "current", tree: ROOT },
].map((s) => ({
  ...s,
  clientDir: join(work, `${s.name}-client`),
  endToEnd: 0,
  alone: 0,
}));
try {
  await run("git", [
    "worktree",
    "add",
    "--detach",
    baselineTree,
    values.baseline!,
  ]);
  // What `deno task start` does first there: the portal's island bundle.
  await run(Deno.execPath(), ["run", "--allow-all", "dev.ts"], baselineTree);
  const file = join(work, "payload.bin");
  await writeRandomFile(file, SIZE);
  const data = await Deno.readFile(file);
  for (const side of sides) {
    side.server = await startServer({
      mainModule: join(side.tree, "main.ts"),
      dataDir: await Deno.makeTempDir({
        dir: work,
        prefix: `${side.name}-data-`,
      }),
    });
    await Deno.mkdir(side.clientDir);
    await Deno.writeTextFile(
      join(side.clientDir, "transfer.info"),
      `127.0.0.1:${side.server.port}\nbench-${side.name}\n${file}\n`,
    );
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of sides) {
      // The first round registers (RSA key pair), later ones reconnect.
      const seconds = await timed(() =>
        run(Deno.execPath(), [
          "run",
          "--allow-all",
          join(side.tree, "main.ts"),
          "backup",
          "--dir",
          side.clientDir,
        ])
      );
      side.endToEnd = Math.max(side.endToEnd, SIZE / 1e6 / seconds);
      await settled(side.server!);
      new DataView(data.buffer).setFloat64(0, round);
      const alone = await uploadMany(side.server!.port, {
        clients: 1,
        data,
        prefix: `alone-${round}`,
      });
      if (alone.failed) throw new Error(`${side.name}: an upload failed`);
      side.alone = Math.max(side.alone, alone.megabytesPerSecond);
      await settled(side.server!);
    }
  }
  const [baseline, current] = sides;
  line("figure", "value", "baseline", "ratio");
  line(
    `${SIZE / 2 ** 20} MiB end to end vs ${values.baseline} (MB/s)`,
    current.endToEnd.toFixed(0),
    baseline.endToEnd.toFixed(0),
    (current.endToEnd / baseline.endToEnd).toFixed(3),
  );
  line(
    `server alone vs ${values.baseline} (MB/s)`,
    current.alone.toFixed(0),
    baseline.alone.toFixed(0),
    (current.alone / baseline.alone).toFixed(3),
  );
  line(`  best of ${ROUNDS} alternating rounds`, "");
} finally {
  for (const side of sides) await side.server?.stop();
  await run("git", ["worktree", "remove", "--force", baselineTree]).catch(
    () => {},
  );
  await Deno.remove(work, { recursive: true });
}
