import assert from "node:assert/strict";
import { join } from "node:path";
import { ContentStore } from "../../server/storage/content_store.ts";

const SHA = "ab" + "0".repeat(62);

function setup() {
  const dir = Deno.makeTempDirSync({ prefix: "cyberbackup-objects-" });
  const root = join(dir, "received_files");
  Deno.mkdirSync(join(root, "client"), { recursive: true });
  const store = new ContentStore(root);
  return {
    dir,
    root,
    store,
    [Symbol.dispose]() {
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

async function read(file: Deno.FsFile): Promise<string> {
  return await new Response(file.readable).text();
}

Deno.test("objectPath() files an object under .objects/<first 2 hex>/ and refuses anything but 64 hex", () => {
  using t = setup();
  assert.equal(
    t.store.objectPath(SHA),
    join(t.root, ".objects", "ab", SHA),
  );
  for (const bad of ["../" + SHA.slice(3), SHA.toUpperCase(), SHA + "0", ""]) {
    assert.throws(() => t.store.objectPath(bad), RangeError);
  }
});

Deno.test("adopt() makes a file its object as a second hard link, replacing an orphan", async () => {
  using t = setup();
  const upload = join(t.dir, "upload");
  Deno.writeTextFileSync(upload, "content");
  // An orphan left by a crash between link and commit.
  Deno.mkdirSync(join(t.root, ".objects", "ab"), { recursive: true });
  Deno.writeTextFileSync(t.store.objectPath(SHA), "old orphan");
  assert.equal(t.store.adopt(upload, SHA), t.store.objectPath(SHA));
  assert.equal(Deno.statSync(upload).nlink, 2);
  assert.equal(await read(await t.store.openObject(SHA)), "content");
  assert.equal(t.store.has(SHA), true);
  // Adopting the same file twice (a retried commit) leaves no stray link.
  t.store.adopt(upload, SHA);
  assert.equal(Deno.statSync(upload).nlink, 2);
  assert.deepEqual([...Deno.readDirSync(join(t.root, ".tmp"))], []);
});

Deno.test("linkTo() replaces a name by a hard link to the object, never writing through a symlink", () => {
  using t = setup();
  const upload = join(t.dir, "upload");
  Deno.writeTextFileSync(upload, "content");
  t.store.adopt(upload, SHA);
  const outside = join(t.dir, "outside");
  Deno.writeTextFileSync(outside, "outside");
  const name = join(t.root, "client", "doc.txt");
  Deno.symlinkSync(outside, name);
  t.store.linkTo(SHA, name);
  assert.equal(Deno.lstatSync(name).isFile, true);
  assert.equal(Deno.statSync(name).ino, Deno.statSync(upload).ino);
  assert.equal(Deno.readTextFileSync(outside), "outside");
  assert.throws(
    () => t.store.linkTo("cd" + "0".repeat(62), name),
    Deno.errors.NotFound,
  );
  assert.equal(Deno.statSync(name).nlink, 3);
});

Deno.test("openObject() never follows a symlink as the object or its folders", async () => {
  using t = setup();
  const outside = join(t.dir, "secret");
  Deno.writeTextFileSync(outside, "secret");
  assert.equal(t.store.has(SHA), false);
  await assert.rejects(() => t.store.openObject(SHA), Deno.errors.NotFound);
  Deno.mkdirSync(join(t.root, ".objects", "ab"), { recursive: true });
  Deno.symlinkSync(outside, t.store.objectPath(SHA));
  assert.equal(t.store.has(SHA), false);
  await assert.rejects(() => t.store.openObject(SHA), Deno.errors.NotFound);
  Deno.removeSync(join(t.root, ".objects"), { recursive: true });
  Deno.mkdirSync(join(t.dir, "elsewhere", "ab"), { recursive: true });
  Deno.writeTextFileSync(join(t.dir, "elsewhere", "ab", SHA), "planted");
  Deno.symlinkSync(join(t.dir, "elsewhere"), join(t.root, ".objects"));
  await assert.rejects(() => t.store.openObject(SHA), Deno.errors.NotFound);
  const upload = join(t.dir, "upload");
  Deno.writeTextFileSync(upload, "content");
  assert.throws(() => t.store.adopt(upload, SHA), /symbolic link/);
});

Deno.test("place() deduplicates a known object: the upload links to it and its own bytes wait aside until discarded", async () => {
  using t = setup();
  const first = join(t.dir, "first");
  Deno.writeTextFileSync(first, "content");
  assert.deepEqual(t.store.place(first, SHA, false), { deduplicated: false });
  assert.equal(Deno.statSync(first).nlink, 2);
  const second = join(t.dir, "second");
  Deno.writeTextFileSync(second, "content");
  const own = Deno.statSync(second).ino;
  const placement = t.store.place(second, SHA, true);
  assert.equal(placement.deduplicated, true);
  assert.equal(Deno.statSync(second).ino, Deno.statSync(first).ino);
  assert.equal(Deno.statSync(placement.aside!).ino, own);
  await t.store.discard(placement);
  assert.throws(() => Deno.statSync(placement.aside!), Deno.errors.NotFound);
  // A known content whose object went missing: the upload becomes it again.
  Deno.removeSync(t.store.objectPath(SHA));
  const third = join(t.dir, "third");
  Deno.writeTextFileSync(third, "content");
  assert.deepEqual(t.store.place(third, SHA, true), { deduplicated: false });
  assert.equal(
    Deno.statSync(t.store.objectPath(SHA)).ino,
    Deno.statSync(third).ino,
  );
});
