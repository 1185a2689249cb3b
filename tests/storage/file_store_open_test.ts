import assert from "node:assert/strict";
import { join } from "node:path";
import { FileStore } from "../../server/storage/file_store.ts";

const CLIENT = new Uint8Array(16).fill(0x5a);

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "cyberbackup-open-" });
  const store = new FileStore(join(dir, "received_files"));
  const pending = await store.begin(CLIENT, "kept.txt");
  await pending.write(new TextEncoder().encode("stored"));
  await pending.commit();
  const outside = join(dir, "secret.txt");
  await Deno.writeTextFile(outside, "outside the store");
  return { dir, store, outside };
}

async function read(file: Deno.FsFile): Promise<string> {
  return await new Response(file.readable).text();
}

Deno.test("openStored() opens a stored file", async () => {
  const { dir, store } = await setup();
  try {
    assert.equal(
      await read(await store.openStored(CLIENT, "kept.txt")),
      "stored",
    );
    await assert.rejects(
      () => store.openStored(CLIENT, "missing.txt"),
      Deno.errors.NotFound,
    );
    await assert.rejects(() => store.openStored(CLIENT, "../x"), RangeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openStored() never follows a symlink planted at the name or as the client folder", async () => {
  const { dir, store, outside } = await setup();
  try {
    const folder = join(store.root, "5a".repeat(16));
    await Deno.symlink(outside, join(folder, "link.txt"));
    await assert.rejects(
      () => store.openStored(CLIENT, "link.txt"),
      Deno.errors.NotFound,
    );
    await Deno.mkdir(join(folder, "sub"));
    await assert.rejects(
      () => store.openStored(CLIENT, "sub"),
      Deno.errors.NotFound,
    );

    await Deno.rename(folder, `${folder}-real`);
    await Deno.symlink(`${folder}-real`, folder);
    await assert.rejects(
      () => store.openStored(CLIENT, "kept.txt"),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
