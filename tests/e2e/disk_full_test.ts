/**
 * Disk full: the server runs in a private mount namespace (`unshare -rm`)
 * with received_files/ on an 8 MiB tmpfs. Uploads that do not fit get
 * 1607, nothing half-written stays, the verified copies stay intact, and
 * the server goes on serving. Skipped, saying why, where the test cannot
 * mount a tmpfs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runBackup } from "../../client/backup.ts";
import { readMeInfo } from "../../client/me_info.ts";
import { toHex } from "../../shared/encoding.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { ResponseCode } from "../../server/protocol/constants.ts";
import { clientDir, collectOutput } from "../client/helpers.ts";
import { note, readDb, seededBytes } from "../soak/helpers.ts";
import { startSoakServer } from "../soak/server.ts";
import {
  confirmChecksum,
  type KeyedClient,
  registerClient,
  sendFrames,
  uploadFrames,
} from "./harness.ts";

const MiB = 1024 * 1024;
const KiB = 1024;
const MOUNT_SCRIPT =
  'mount -t tmpfs -o size=8m tmpfs "$0" && shift && exec "$@"';

/** Why this machine cannot run the test, or undefined when it can. */
async function cannotMount(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "not Linux";
  const dir = await Deno.makeTempDir({ prefix: "cb-probe-" });
  try {
    const probe = await new Deno.Command("unshare", {
      args: ["-rm", "sh", "-c", MOUNT_SCRIPT, dir, "--", "true"],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!probe.success) {
      return `unshare -rm cannot mount a tmpfs: ${
        new TextDecoder().decode(probe.stderr).trim()
      }`;
    }
    const enter = await new Deno.Command("nsenter", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return enter.success ? undefined : "nsenter is missing";
  } catch (error) {
    return (error as Error).message;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const reason = await cannotMount();
if (reason) {
  // deno-lint-ignore no-console -- the issue asks for the reason to be printed
  console.log(`disk_full_test.ts skipped: ${reason}`);
}

/** Runs a command inside the server's mount namespace; returns its stdout. */
async function inside(pid: number, args: string[]): Promise<string> {
  const output = await new Deno.Command("nsenter", {
    args: [
      "-t",
      String(pid),
      "-U",
      "-m",
      "--preserve-credentials",
      "--",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return text;
}

Deno.test({
  name:
    "a full disk answers 1607, leaves nothing half-written, keeps verified copies and goes on serving",
  ignore: reason !== undefined,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "cb-full-" });
    const root = join(dataDir, "received_files");
    await Deno.mkdir(root);
    const server = await startSoakServer({
      dataDir,
      command: ["unshare", "-rm", "sh", "-c", MOUNT_SCRIPT, root, "--"],
      // The free-space watermark would refuse every upload on 8 MiB: this
      // test is about what happens when the disk really fills.
      args: ["--min-free", "0"],
      expectedErrors: [/No space left on device/],
    });
    let exited = false;
    server.child.status.then(() => exited = true);
    const pid = server.pid;
    const listing = async (dir: string) =>
      (await inside(pid, ["ls", "-A", dir])).split("\n").filter(Boolean);
    const stored = async (clientId: Uint8Array, name: string) =>
      Number(
        (await inside(pid, [
          "cksum",
          join(root, toHex(clientId), name),
        ])).split(" ")[0],
      );
    const free = async () => {
      const [blocks, size] =
        (await inside(pid, ["stat", "-f", "-c", "%a %S", root]))
          .trim().split(" ").map(Number);
      return blocks * size;
    };
    const verify = async (client: KeyedClient, fileName: string) =>
      (await confirmChecksum(client, fileName))?.code;
    try {
      note(
        `received_files/ on a tmpfs of 8 MiB, ${
          Math.round(await free() / KiB)
        } KiB free`,
      );
      const alice = await registerClient(server.port, "alice");
      const keep = seededBytes(1, MiB);
      const first = await sendFrames(
        alice,
        uploadFrames(alice, "keep.bin", keep),
      );
      assert.equal(first?.code, ResponseCode.FILE_RECEIVED);
      assert.equal(await verify(alice, "keep.bin"), ResponseCode.ACK);

      // 1. A new file that does not fit: one 1607, the rest of its packets dropped.
      const big = uploadFrames(
        alice,
        "big.bin",
        seededBytes(2, 12 * MiB),
        256 * KiB,
      );
      const answer = await sendFrames(alice, big);
      assert.equal(answer?.code, ResponseCode.SERVER_ERROR);
      assert.deepEqual(await listing(join(root, ".tmp")), []);
      // The same connection goes on: a small file is stored.
      const small = new TextEncoder().encode("still serving");
      const ok = await sendFrames(
        alice,
        uploadFrames(alice, "small.txt", small),
      );
      assert.equal(ok?.code, ResponseCode.FILE_RECEIVED);
      assert.equal(await verify(alice, "small.txt"), ResponseCode.ACK);

      // 2. A replacement of a verified copy that does not fit.
      const bigger = seededBytes(3, 9 * MiB);
      const replaced = await sendFrames(
        alice,
        uploadFrames(alice, "keep.bin", bigger, 256 * KiB),
      );
      assert.equal(replaced?.code, ResponseCode.SERVER_ERROR);
      assert.equal(await stored(alice.clientId, "keep.bin"), cksum(keep));

      // 3. Full at the very end: the upload fits the write buffer, so the
      // disk refuses it only when 1029 makes it durable.
      const room = await free();
      await inside(pid, [
        "sh",
        "-c",
        `head -c ${room - 64 * KiB} /dev/zero > "$0"`,
        join(root, "filler"),
      ]);
      const late = seededBytes(4, 150 * KiB);
      const received = await sendFrames(
        alice,
        uploadFrames(alice, "late.bin", late),
      );
      assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
      assert.equal(await verify(alice, "late.bin"), ResponseCode.SERVER_ERROR);
      assert.deepEqual(await listing(join(root, ".tmp")), []);
      assert.ok(
        !(await listing(join(root, toHex(alice.clientId)))).includes(
          "late.bin",
        ),
      );
      alice.raw.close();

      const outcomes = readDb<
        { FileName: string; Outcome: string; Error: string }
      >(
        dataDir,
        "SELECT FileName, Outcome, Error FROM transfers ORDER BY TransferID",
      );
      note(
        `transfers: ${
          outcomes.map((t) => `${t.FileName} ${t.Outcome}`).join(", ")
        }`,
      );
      assert.deepEqual(outcomes.map((t) => [t.FileName, t.Outcome]), [
        ["keep.bin", "verified"],
        ["big.bin", "aborted"],
        ["small.txt", "verified"],
        ["keep.bin", "aborted"],
        ["late.bin", "aborted"],
      ]);
      for (const t of outcomes.filter((t) => t.Outcome === "aborted")) {
        assert.match(t.Error, /No space left on device/);
      }
      const files = readDb<{ FileName: string; Checksum: number }>(
        dataDir,
        "SELECT FileName, Checksum FROM files ORDER BY FileName",
      );
      assert.deepEqual(files.map((f) => [f.FileName, f.Checksum]), [
        ["keep.bin", cksum(keep)],
        ["small.txt", cksum(small)],
      ]);

      // 4. Room again: the real client backs up and verifies.
      await inside(pid, ["rm", join(root, "filler")]);
      const data = seededBytes(5, 2 * MiB);
      const dir = await clientDir(server.port, {
        name: "bob",
        files: { "bob.bin": data },
      });
      const out = collectOutput();
      assert.equal(
        await runBackup({ dir, out, retryDelayMs: 50 }),
        0,
        out.errors.join("\n"),
      );
      const me = await readMeInfo(join(dir, "me.info"));
      await Deno.remove(dir, { recursive: true });
      assert.equal(
        await stored(me!.clientId, "bob.bin"),
        cksum(data),
      );
      assert.equal(exited, false, "the server is still running");
      assert.deepEqual(server.errorLines(), []);
      assert.ok(server.errorCount() >= 3, "each refused upload was logged");
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
