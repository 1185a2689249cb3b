import assert from "node:assert/strict";
import { join } from "node:path";
import { FileStore } from "../../server/storage/file_store.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

const CLIENT = new Uint8Array(16).map((_, i) => i * 17);
const HEX = "00112233445566778899aabbccddeeff";
const encoder = new TextEncoder();

async function tempRoot(): Promise<{ dir: string; root: string }> {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-store-" });
  return { dir, root: join(dir, "received_files") };
}

async function store(
  files: FileStore,
  name: string,
  text: string,
): Promise<string> {
  const pending = await files.begin(CLIENT, name);
  await pending.write(encoder.encode(text));
  return await pending.commit();
}

async function entries(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(path)) names.push(entry.name);
  return names.sort();
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail("expected a rejection");
}

Deno.test("pathOf() places a file in the client's hex folder under root", async () => {
  const { root } = await tempRoot();
  const files = new FileStore(root);
  assert.equal(files.pathOf(CLIENT, "a.txt"), join(root, HEX, "a.txt"));
  assert.equal(files.pathOf(CLIENT, "..a"), join(root, HEX, "..a"));
});

Deno.test("pathOf() refuses hostile names and malformed ids with RangeError", async () => {
  const files = new FileStore((await tempRoot()).root);
  for (
    const name of [
      "",
      ".",
      "..",
      "../x",
      "../../etc/passwd",
      "/etc/passwd",
      "a\\..\\b",
      "a\0b",
      "x\n",
      "a\u202eexe.txt",
      "a".repeat(255),
      " x",
      "x.",
      "CON",
      "lpt1.txt",
    ]
  ) {
    assert.throws(() => files.pathOf(CLIENT, name), RangeError, name);
  }
  assert.throws(() => files.pathOf(new Uint8Array(4), "a"), RangeError);
});

Deno.test("commit() stores the bytes of every write in order, 0600 in a 0700 folder", async () => {
  const { root } = await tempRoot();
  const files = new FileStore(root);
  const pending = await files.begin(CLIENT, "data.bin");
  assert.ok(pending.tempPath.startsWith(join(root, ".tmp") + "/"));
  const sizes = [1, 0, 100, 300 * 1024, 10, 256 * 1024, 256 * 1024 - 1, 7];
  const chunks = sizes.map((size, i) =>
    new Uint8Array(size).map((_, j) => (i * 31 + j) & 0xff)
  );
  let total = 0;
  for (const chunk of chunks) {
    await pending.write(chunk);
    total += chunk.length;
    assert.equal(pending.bytesWritten, total);
  }
  const path = await pending.commit();
  assert.equal(path, join(root, HEX, "data.bin"));
  const expected = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    expected.set(chunk, offset);
    offset += chunk.length;
  }
  assertBytesEqual(await Deno.readFile(path), expected);
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(join(root, HEX))).mode! & 0o777, 0o700);
  }
  assert.deepEqual(await entries(join(root, ".tmp")), []);
  await pending.abort(); // after commit: a no-op
  assert.equal(
    await Deno.readTextFile(path),
    new TextDecoder().decode(expected),
  );
});

Deno.test("commit() replaces the previous copy atomically: until then readers see the old one", async () => {
  const { root } = await tempRoot();
  const files = new FileStore(root);
  const path = await store(files, "a.txt", "old");
  const pending = await files.begin(CLIENT, "a.txt");
  await pending.write(encoder.encode("new content"));
  assert.equal(await Deno.readTextFile(path), "old");
  const reader = await Deno.open(path);
  await pending.commit();
  // The old file was swapped out whole, not rewritten under an open reader.
  const buffer = new Uint8Array(16);
  const n = await reader.read(buffer);
  reader.close();
  assert.equal(new TextDecoder().decode(buffer.subarray(0, n ?? 0)), "old");
  assert.equal(await Deno.readTextFile(path), "new content");
  assert.deepEqual(await entries(join(root, HEX)), ["a.txt"]);
});

Deno.test("abort() keeps the previous copy intact and leaves no temporary file", async () => {
  const { root } = await tempRoot();
  const files = new FileStore(root);
  const path = await store(files, "a.txt", "verified copy");
  const pending = await files.begin(CLIENT, "a.txt");
  await pending.write(new Uint8Array(1024 * 1024).fill(1));
  await pending.abort();
  await pending.abort();
  assert.equal(await Deno.readTextFile(path), "verified copy");
  assert.deepEqual(await entries(join(root, ".tmp")), []);
  assert.match(
    (await rejection(pending.write(new Uint8Array(1)))).message,
    /^Cannot write upload: it is already aborted/,
  );
  assert.match(
    (await rejection(pending.commit())).message,
    /^Cannot store upload: it is already aborted/,
  );
  assert.equal(await Deno.readTextFile(path), "verified copy");
});

Deno.test("two uploads of one name at once never mix: the last commit wins whole", async () => {
  const { root } = await tempRoot();
  const files = new FileStore(root);
  const first = await files.begin(CLIENT, "a.txt");
  const second = await files.begin(CLIENT, "a.txt");
  assert.notEqual(first.tempPath, second.tempPath);
  await first.write(encoder.encode("first"));
  await second.write(encoder.encode("second"));
  await second.commit();
  await first.commit();
  assert.equal(await Deno.readTextFile(files.pathOf(CLIENT, "a.txt")), "first");
  assert.deepEqual(await entries(join(root, ".tmp")), []);
});

Deno.test("removeLeftovers() deletes what crashed uploads left and nothing else", async () => {
  const { root } = await tempRoot();
  const files = new FileStore(root);
  assert.equal(await files.removeLeftovers(), 0); // no root yet
  const path = await store(files, "kept.txt", "kept");
  await store(files, "x.part", "a real file with a temp-like name");
  const crashed = await files.begin(CLIENT, "kept.txt");
  await crashed.write(new Uint8Array(300 * 1024)); // the process "dies" here
  const other = await files.begin(new Uint8Array(16).fill(1), "b.txt");
  await other.write(encoder.encode("partial"));

  const restarted = new FileStore(root);
  assert.equal(await restarted.removeLeftovers(), 2);
  assert.deepEqual(await entries(join(root, ".tmp")), []);
  assert.equal(await Deno.readTextFile(path), "kept");
  assert.deepEqual(await entries(join(root, HEX)), ["kept.txt", "x.part"]);
  assert.equal(await restarted.removeLeftovers(), 0);
  await crashed.abort(); // the old handle cleans up quietly
});

if (Deno.build.os !== "windows") {
  Deno.test("a symlink planted as the client folder is never written, emptied or followed", async () => {
    const { dir, root } = await tempRoot();
    const outside = join(dir, "outside");
    await Deno.mkdir(outside);
    await Deno.writeTextFile(join(outside, "a.txt"), "precious");
    await Deno.mkdir(root);
    await Deno.symlink(outside, join(root, HEX));
    const files = new FileStore(root);

    const error = await rejection(files.begin(CLIENT, "b.txt"));
    assert.match(error.message, /^Cannot start upload: .* is a symbolic link/);
    assert.match(
      (await rejection(files.remove(CLIENT, "a.txt"))).message,
      /^Cannot delete file: .* is a symbolic link/,
    );
    await files.removeClient(CLIENT);
    assert.deepEqual(await entries(outside), ["a.txt"]);
    assert.equal(await Deno.readTextFile(join(outside, "a.txt")), "precious");
    assert.deepEqual(await entries(root), []); // only the link went
  });

  Deno.test("a symlink planted as the final name is replaced, never written through", async () => {
    const { dir, root } = await tempRoot();
    const target = join(dir, "target.txt");
    await Deno.writeTextFile(target, "precious");
    const files = new FileStore(root);
    await store(files, "other.txt", "x"); // creates the client folder
    const path = files.pathOf(CLIENT, "a.txt");
    await Deno.symlink(target, path);

    await store(files, "a.txt", "upload");
    assert.equal(await Deno.readTextFile(target), "precious");
    const info = await Deno.lstat(path);
    assert.ok(info.isFile && !info.isSymlink);
    assert.equal(await Deno.readTextFile(path), "upload");
  });

  Deno.test("a symlink planted as the temporary folder is removed, not followed", async () => {
    const { dir, root } = await tempRoot();
    const outside = join(dir, "outside");
    await Deno.mkdir(outside);
    await Deno.writeTextFile(join(outside, "a.txt"), "precious");
    await Deno.mkdir(root);
    await Deno.symlink(outside, join(root, ".tmp"));
    const files = new FileStore(root);

    assert.match(
      (await rejection(files.begin(CLIENT, "b.txt"))).message,
      /^Cannot start upload: .* is a symbolic link/,
    );
    assert.equal(await files.removeLeftovers(), 1);
    assert.deepEqual(await entries(outside), ["a.txt"]);
    await store(files, "b.txt", "ok");
    assert.deepEqual(await entries(outside), ["a.txt"]);
  });

  Deno.test("removeClient() does not follow symlinks inside the client folder", async () => {
    const { dir, root } = await tempRoot();
    const outside = join(dir, "outside");
    await Deno.mkdir(outside);
    await Deno.writeTextFile(join(outside, "a.txt"), "precious");
    const files = new FileStore(root);
    await store(files, "kept.txt", "x");
    await Deno.symlink(outside, join(root, HEX, "link"));
    await files.removeClient(CLIENT);
    await files.removeClient(CLIENT); // missing: no error
    assert.deepEqual(await entries(root), [".tmp"]);
    assert.equal(await Deno.readTextFile(join(outside, "a.txt")), "precious");
  });
}

Deno.test("remove() deletes one stored file and ignores a missing one", async () => {
  const { root } = await tempRoot();
  const files = new FileStore(root);
  await store(files, "a.txt", "a");
  await store(files, "b.txt", "b");
  await files.remove(CLIENT, "a.txt");
  await files.remove(CLIENT, "a.txt");
  await files.remove(new Uint8Array(16).fill(9), "a.txt");
  assert.deepEqual(await entries(join(root, HEX)), ["b.txt"]);
  await assert.rejects(() => files.remove(CLIENT, "../b.txt"), RangeError);
});

Deno.test("commit() onto a directory fails naming the action and removes the temporary file", async () => {
  const { root } = await tempRoot();
  const files = new FileStore(root);
  await store(files, "x", "x");
  await Deno.mkdir(join(root, HEX, "dir.txt"));
  await Deno.writeTextFile(join(root, HEX, "dir.txt", "inner"), "inner");
  const pending = await files.begin(CLIENT, "dir.txt");
  await pending.write(encoder.encode("data"));
  const error = await rejection(pending.commit());
  assert.match(error.message, /^Cannot store upload: /);
  assert.ok(error.cause instanceof Error);
  assert.deepEqual(await entries(join(root, ".tmp")), []);
  assert.equal(
    await Deno.readTextFile(join(root, HEX, "dir.txt", "inner")),
    "inner",
  );
});

/** Runs `command` in a private mount namespace with a 1 MiB tmpfs at `mountPoint`. */
function inSmallDisk(mountPoint: string, command: string[]): Deno.Command {
  return new Deno.Command("unshare", {
    args: [
      "-rm",
      "sh",
      "-c",
      'mount -t tmpfs -o size=1m tmpfs "$0" && shift && exec "$@"',
      mountPoint,
      "--",
      ...command,
    ],
    stdout: "piped",
    stderr: "piped",
  });
}

/** Whether this machine lets an unprivileged test mount a small tmpfs. */
async function canMountTmpfs(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-probe-" });
  try {
    return (await inSmallDisk(dir, ["true"]).output()).success;
  } catch {
    return false;
  } finally {
    await Deno.remove(dir);
  }
}

Deno.test({
  name:
    "a full disk fails the write naming the action and leaves the previous copy intact",
  ignore: !(await canMountTmpfs()),
  async fn() {
    const mountPoint = await Deno.makeTempDir({ prefix: "cyberbackup-full-" });
    const module = new URL(
      "../../server/storage/file_store.ts",
      import.meta.url,
    );
    const config = new URL("../../deno.json", import.meta.url);
    const script = `
      import { FileStore } from ${JSON.stringify(module.href)};
      const files = new FileStore(${
      JSON.stringify(mountPoint)
    } + "/received_files");
      const id = new Uint8Array(16);
      const first = await files.begin(id, "keep.txt");
      await first.write(new TextEncoder().encode("verified copy"));
      await first.commit();
      const pending = await files.begin(id, "keep.txt");
      const chunk = new Uint8Array(64 * 1024).fill(7);
      const result = { error: "none", later: "none" };
      try {
        for (let i = 0; i < 64; i++) await pending.write(chunk);
        await pending.commit();
      } catch (error) {
        result.error = error.message;
        result.cause = error.cause?.name;
      }
      try { await pending.commit(); } catch (error) { result.later = error.message; }
      await pending.abort();
      result.kept = await Deno.readTextFile(files.pathOf(id, "keep.txt"));
      result.temps = [...Deno.readDirSync(files.root + "/.tmp")].length;
      console.log(JSON.stringify(result));`;
    const output = await inSmallDisk(mountPoint, [
      Deno.execPath(),
      "eval",
      "--config",
      config.pathname,
      script,
    ]).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.ok(output.success, stderr);
    const result = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.match(
      result.error,
      /^Cannot write upload: No space left on device/,
    );
    assert.equal(result.cause, "Error");
    assert.match(result.later, /^Cannot store upload: an earlier write failed/);
    assert.equal(result.kept, "verified copy");
    assert.equal(result.temps, 0);
  },
});
