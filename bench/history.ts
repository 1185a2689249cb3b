/**
 * Backup history benchmark: the same file uploaded under two names by the
 * command-line client through the real server. With deduplication the
 * second copy is a hard link to the first one's object, so it should add
 * well under 1 % to the data directory's disk use (allocated blocks, each
 * inode once, as `du` counts them). Also times the deduplicated upload
 * against a third one of new content of the same size, uploaded after it.
 *
 *   deno run -A bench/history.ts [--size-mib 1024]
 *
 * Prints one line per figure: name, value, baseline, ratio.
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeRandomFile } from "../tests/e2e/backup_server.ts";
import { startServer, type TestServer } from "../tests/e2e/harness.ts";
import { tmpEmptied } from "../tests/history/fixture.ts";
import { line } from "./report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { "size-mib": { type: "string", default: "1024" } },
});
const SIZE = Number(values["size-mib"]) * 1024 * 1024;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Allocated bytes under `path`, each inode counted once (as `du`). */
function allocated(path: string, seen = new Set<number>()): number {
  const info = Deno.lstatSync(path);
  if (seen.has(info.ino!)) return 0;
  seen.add(info.ino!);
  let total = info.blocks! * 512;
  if (info.isDirectory) {
    for (const entry of Deno.readDirSync(path)) {
      total += allocated(join(path, entry.name), seen);
    }
  }
  return total;
}

/** Backs up the files listed, by the command-line client; returns seconds taken. */
async function backUp(
  dir: string,
  port: number,
  files: string[],
): Promise<number> {
  await Deno.writeTextFile(
    join(dir, "transfer.info"),
    `127.0.0.1:${port}\nbench\n${files.join("\n")}\n`,
  );
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "backup", "--dir", dir],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `backup failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return (performance.now() - started) / 1000;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const work = await Deno.makeTempDir({ prefix: "cb-bench-history-" });
let server: TestServer | undefined;
try {
  const first = join(work, "first.bin");
  const second = join(work, "second.bin");
  const third = join(work, "third.bin");
  await writeRandomFile(first, SIZE);
  await writeRandomFile(third, SIZE, 0x2545f491);
  // The same bytes under another name, without a second copy on this side.
  await Deno.link(first, second);
  server = await startServer({ dataDir: await Deno.makeTempDir() });
  const client = join(work, "client");
  await Deno.mkdir(client);
  const empty = allocated(server.dataDir);
  await backUp(client, server.port, [first]);
  const once = allocated(server.dataDir);
  const secondSeconds = await backUp(client, server.port, [second]);
  // The server frees the second upload's own bytes just after its answer.
  await tmpEmptied(join(server.dataDir, "received_files"));
  const twice = allocated(server.dataDir);
  const thirdSeconds = await backUp(client, server.port, [third]);

  line("figure", "value", "baseline", "ratio");
  line(
    `data dir after one ${SIZE / 2 ** 20} MiB upload (MiB)`,
    mib(once - empty),
    mib(SIZE),
    ((once - empty) / SIZE).toFixed(3),
  );
  line(
    "added by the same content under a 2nd name (MiB)",
    mib(twice - once),
    mib(once - empty),
    ((twice - once) / (once - empty)).toFixed(4),
  );
  line(
    "deduplicated upload vs one of new content (s)",
    secondSeconds.toFixed(2),
    thirdSeconds.toFixed(2),
    (secondSeconds / thirdSeconds).toFixed(2),
  );
} finally {
  const dataDir = server?.dataDir;
  await server?.stop();
  if (dataDir) await Deno.remove(dataDir, { recursive: true });
  await Deno.remove(work, { recursive: true });
}
