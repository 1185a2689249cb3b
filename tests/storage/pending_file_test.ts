import assert from "node:assert/strict";
import { join } from "node:path";
import { FileStore } from "../../server/storage/file_store.ts";
import { assertBytesEqual } from "../bytes_assert.ts";
import { PendingUpload } from "../../server/storage/pending_file.ts";

const CLIENT = new Uint8Array(16).fill(0xab);
const encoder = new TextEncoder();

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-pending-" });
  const store = new FileStore(join(dir, "received_files"));
  const first = await store.begin(CLIENT, "a.txt");
  await first.write(encoder.encode("old"));
  await first.commit();
  const pending = await store.begin(CLIENT, "a.txt");
  await pending.write(encoder.encode("new content"));
  return { dir, store, pending };
}

Deno.test("prepare() closes the file without showing it; publish() then swaps it in", async () => {
  const { dir, store, pending } = await setup();
  try {
    await pending.prepare();
    await pending.prepare(); // once prepared, again does nothing
    assert.equal(pending.state, "prepared");
    assert.equal(await Deno.readTextFile(pending.finalPath), "old");
    assert.equal(await Deno.readTextFile(pending.tempPath), "new content");
    await assert.rejects(() => pending.write(encoder.encode("x")));
    assert.equal(pending.publish(), store.pathOf(CLIENT, "a.txt"));
    assert.equal(pending.state, "published");
    assert.equal(await Deno.readTextFile(pending.finalPath), "new content");
    await pending.abort(); // once published: a no-op
    await pending.finalize();
    assert.equal(pending.state, "committed");
    assert.equal(await Deno.readTextFile(pending.finalPath), "new content");
    assert.deepEqual([...Deno.readDirSync(join(store.root, ".tmp"))], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepare() syncs the data to disk after the last write and before closing, so no published file can be lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-pending-" });
  try {
    const tempPath = join(dir, "upload.tmp");
    const file = await Deno.open(tempPath, { write: true, createNew: true });
    // The real file, with every call on it recorded in order.
    const calls: string[] = [];
    const recorded = new Proxy(file, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls.push(String(key));
          return value.apply(target, args);
        };
      },
    });
    const pending = new PendingUpload(recorded, {
      tempPath,
      finalPath: join(dir, "final.bin"),
    });
    await pending.write(new Uint8Array(300 * 1024)); // written straight through
    await pending.write(encoder.encode("tail")); // buffered until prepare()
    await pending.prepare();
    const sync = calls.findIndex((c) => c === "syncData" || c === "sync");
    assert.ok(sync >= 0, `no fdatasync among ${calls.join(", ")}`);
    assert.ok(calls.lastIndexOf("write") < sync, calls.join(", "));
    assert.ok(sync < calls.indexOf("close"), calls.join(", "));
    assert.equal((await Deno.stat(tempPath)).size, 300 * 1024 + 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a prepared file can still be aborted, and publish() refuses one that is not prepared", async () => {
  const { dir, pending } = await setup();
  try {
    assert.throws(() => pending.publish(), /it is open, not prepared/);
    await pending.prepare();
    await pending.abort();
    assert.equal(pending.state, "aborted");
    await assert.rejects(
      () => Deno.stat(pending.tempPath),
      Deno.errors.NotFound,
    );
    assert.equal(await Deno.readTextFile(pending.finalPath), "old");
    assert.throws(() => pending.publish(), /it is aborted/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("publish() that fails (client folder replaced by a symlink) deletes the file and touches nothing outside", async () => {
  const { dir, pending } = await setup();
  const outside = await Deno.makeTempDir({ prefix: "cyberbackup-outside-" });
  try {
    await pending.prepare();
    const folder = join(pending.finalPath, "..");
    await Deno.rename(folder, `${folder}.moved`);
    await Deno.symlink(outside, folder);
    assert.throws(
      () => pending.publish(),
      /^Error: Cannot store upload: .* symbolic link/,
    );
    assert.equal(pending.state, "aborted");
    assert.deepEqual([...Deno.readDirSync(outside)], []);
    await assert.rejects(
      () => Deno.stat(pending.tempPath),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("unpublish() puts the previous copy back and makes the upload prepared again", async () => {
  const { dir, store, pending } = await setup();
  try {
    await pending.prepare();
    pending.publish();
    assert.equal(await Deno.readTextFile(pending.finalPath), "new content");
    pending.unpublish();
    assert.equal(pending.state, "prepared");
    assert.equal(await Deno.readTextFile(pending.finalPath), "old");
    assert.equal(await Deno.readTextFile(pending.tempPath), "new content");
    // Published again and kept this time.
    pending.publish();
    await pending.finalize();
    assert.equal(await Deno.readTextFile(pending.finalPath), "new content");
    assert.deepEqual([...Deno.readDirSync(join(store.root, ".tmp"))], []);

    // With no previous copy, taking it back leaves no file under the name.
    const fresh = await store.begin(CLIENT, "fresh.txt");
    await fresh.write(encoder.encode("first"));
    await fresh.prepare();
    fresh.publish();
    fresh.unpublish();
    await assert.rejects(
      () => Deno.stat(fresh.finalPath),
      Deno.errors.NotFound,
    );
    await fresh.abort();
    assert.deepEqual([...Deno.readDirSync(join(store.root, ".tmp"))], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unpublish() that cannot move the upload back puts the previous state back over it and drops the upload", async () => {
  const { dir, store, pending } = await setup();
  try {
    const fresh = await store.begin(CLIENT, "fresh.txt");
    await fresh.write(encoder.encode("first"));
    for (const upload of [pending, fresh]) {
      await upload.prepare();
      upload.publish();
      // Its temporary name is taken, so the rename back fails.
      await Deno.mkdir(join(upload.tempPath, "obstacle"), { recursive: true });
      assert.throws(
        () => upload.unpublish(),
        /^Error: Cannot take back upload \(the previous state is back, the upload is dropped\): /,
      );
      assert.equal(upload.state, "aborted");
      await upload.abort(); // nothing left to do
      await Deno.remove(upload.tempPath, { recursive: true });
    }
    assert.equal(await Deno.readTextFile(pending.finalPath), "old");
    await assert.rejects(
      () => Deno.stat(fresh.finalPath),
      Deno.errors.NotFound,
    );
    assert.deepEqual([...Deno.readDirSync(join(store.root, ".tmp"))], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writes of any size land in order while earlier ones are still being written", async () => {
  const { dir, store } = await setup();
  try {
    const pending = await store.begin(CLIENT, "b.bin");
    const sizes = [1, 70_000, 300_000, 200_000, 2_000_000, 5, 600_000];
    const expected = new Uint8Array(sizes.reduce((a, b) => a + b));
    let next = 0;
    // Small chunks fill a buffer that is written while the next fills; a
    // large one goes straight through after the write in flight.
    for (const size of sizes) {
      const chunk = Uint8Array.from({ length: size }, () => next++ * 7 & 0xff);
      expected.set(chunk, next - size);
      await pending.write(chunk);
      chunk.fill(0); // the caller reuses its buffer once write() returns
    }
    await pending.commit();
    assertBytesEqual(
      await Deno.readFile(store.pathOf(CLIENT, "b.bin")),
      expected,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a write that fails while the caller goes on fails the upload at its next step", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-pending-" });
  try {
    // /dev/full answers every write with ENOSPC, as a full disk does.
    const full = await Deno.open("/dev/full", { write: true });
    const pending = new PendingUpload(full, {
      tempPath: join(dir, "upload.tmp"),
      finalPath: join(dir, "upload"),
    });
    await assert.rejects(async () => {
      for (let i = 0; i < 64; i++) await pending.write(new Uint8Array(65536));
      await pending.prepare();
    }, /Cannot write upload: .*No space left on device/);
    assert.equal(pending.state, "failed");
    await pending.abort();
    assert.equal(pending.state, "aborted");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
