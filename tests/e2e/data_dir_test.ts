/**
 * The data directory end to end: one server per folder (OS lock), private
 * modes whatever the umask, and a log file of JSON lines that a SIGKILL
 * does not cut short.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cksum } from "../../server/crypto/cksum.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import {
  clientDir,
  confirmChecksum,
  RawClient,
  registerClient,
  sendFrames,
  serveArgs,
  startServer,
  uploadFile,
  uploadFrames,
  waitUntil,
} from "./harness.ts";

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65536)));
  }
  return bytes;
}

Deno.test("a second server on the same data directory exits naming the first one's pid, and the first one's upload in flight is verified", async () => {
  const server = await startServer();
  try {
    const data = randomBytes(1024 * 1024 + 5);
    const client = await registerClient(server.port, "alice");
    const frames = uploadFrames(client, "live.bin", data, 64 * 1024);
    const half = frames.length >> 1;
    for (const frame of frames.slice(0, half)) await client.raw.write(frame);
    // The upload is under way once its temporary file exists.
    const temps = join(server.dataDir, "received_files", ".tmp");
    await waitUntil(() => {
      try {
        return [...Deno.readDirSync(temps)].length > 0;
      } catch {
        return false;
      }
    }, "the upload's temporary file");
    // Other ports: only the lock can stop it.
    const second = await new Deno.Command(Deno.execPath(), {
      args: serveArgs(server.dataDir),
      cwd: server.dataDir,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const output = new TextDecoder().decode(second.stdout) +
      new TextDecoder().decode(second.stderr);
    assert.equal(second.code, 1, output);
    assert.match(
      output,
      new RegExp(`another CyberBackup server \\(pid ${server.child.pid}\\)`),
    );
    assert.doesNotMatch(output, /listening/);
    const received = await sendFrames(client, frames.slice(half));
    assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
    if (received?.code !== ResponseCode.FILE_RECEIVED) return;
    assert.equal(received.checksum, cksum(data));
    assert.equal(
      (await confirmChecksum(client, "live.bin"))?.code,
      ResponseCode.ACK,
    );
    client.raw.close();
    const stored = await Deno.readFile(
      join(clientDir(server, client.clientId), "live.bin"),
    );
    assert.equal(stored.length, data.length);
    assert.equal(cksum(stored), cksum(data));
  } finally {
    await server.stop();
  }
});

/** Every path under `root` with its permission bits and whether it is a folder. */
async function modesUnder(
  root: string,
): Promise<Map<string, { mode: number; folder: boolean }>> {
  const modes = new Map<string, { mode: number; folder: boolean }>();
  const walk = async (path: string) => {
    const info = await Deno.lstat(path);
    modes.set(path, { mode: info.mode! & 0o777, folder: info.isDirectory });
    if (info.isDirectory) {
      for await (const entry of Deno.readDir(path)) {
        await walk(join(path, entry.name));
      }
    }
  };
  await walk(root);
  return modes;
}

Deno.test("under umask 000 the data directory is 0700 and everything the server creates in it is 0600 or 0700", async () => {
  const server = await startServer({ shell: "umask 000" });
  try {
    const client = await registerClient(server.port, "alice");
    const answer = await uploadFile(client, "a.txt", randomBytes(3000));
    assert.equal(answer?.code, ResponseCode.FILE_RECEIVED);
    assert.equal(
      (await confirmChecksum(client, "a.txt"))?.code,
      ResponseCode.ACK,
    );
    client.raw.close();
    const modes = await modesUnder(server.dataDir);
    for (
      const name of [
        "defensive.db",
        "defensive.db-wal",
        "defensive.db-shm",
        "logs/cyberbackup.log",
        "cyberbackup.lock",
        `received_files/${
          clientDir(server, client.clientId).split("/").pop()
        }/a.txt`,
      ]
    ) {
      assert.ok(modes.has(join(server.dataDir, name)), `${name} exists`);
    }
    const open = [...modes]
      .filter(([, { mode, folder }]) => mode !== (folder ? 0o700 : 0o600))
      .map(([path, { mode }]) => `${path} ${mode.toString(8)}`);
    assert.deepEqual(open, []);
  } finally {
    await server.stop();
  }
});

Deno.test("the log file holds JSON lines with their properties, and a warning is in it even when the server is killed right after", async () => {
  const server = await startServer();
  try {
    const first = await registerClient(server.port, "alice");
    first.raw.close();
    const raw = await RawClient.connect(server.port);
    const taken = await raw.request({
      code: RequestCode.REGISTER,
      clientId: new Uint8Array(16),
      name: "alice",
    });
    assert.equal(taken?.code, ResponseCode.REGISTER_FAILED);
    raw.close();
    await server.waitForOutput(/name alice is taken/);
  } finally {
    await server.kill();
  }
  const text = await Deno.readTextFile(
    join(server.dataDir, "logs", "cyberbackup.log"),
  );
  const lines = text.trimEnd().split("\n").map((line) => JSON.parse(line));
  const started = lines.find((l) => /^CyberBackup .* started$/.test(l.message));
  assert.match(started?.message, /^CyberBackup \d+\.\d+\.\d+ started$/);
  const refused = lines.find((l) =>
    l.level === "warning" &&
    l.properties.name === "alice"
  );
  assert.equal(refused?.message, "Registration refused: name alice is taken");
  assert.equal(refused?.category, "cyberbackup.session");
  // From where, and on which connection, though the session never knew.
  assert.match(refused?.properties.address, /^127\.0\.0\.1:\d+$/);
  assert.match(refused?.properties.conn, /^w\d+-\d+$/);
  assert.ok(Date.parse(refused?.time) > 0);
});
