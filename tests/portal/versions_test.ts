/**
 * The portal's backup history: the version list of a name, downloading any
 * version, pinning, the trash, and the history figures of the client page,
 * the files list and the dashboard.
 */
import assert from "node:assert/strict";
import type { FileVersion } from "../../server/storage/types.ts";
import { MaintenanceScheduler } from "../../server/history/scheduler.ts";
import { Trash } from "../../server/history/trash.ts";
import type { Database } from "../../server/storage/database.ts";
import { toHex } from "../../shared/encoding.ts";
import {
  addClient,
  type Fixture,
  makeFixture,
  signedIn,
  TestBrowser,
} from "./fixture.ts";
import { storeVersion } from "../history/fixture.ts";

const encoder = new TextEncoder();

/** Stores `data` as the newest version of `name`, now unless told. */
function addVersion(
  f: Fixture,
  client: Uint8Array,
  name: string,
  data: Uint8Array,
  options: { now?: string; transport?: "tcp" | "http"; dialect?: string } = {},
): FileVersion {
  const { now = new Date().toISOString(), ...rest } = options;
  return storeVersion(
    { db: f.deps.db, files: f.store },
    client,
    name,
    data,
    now,
    {
      checksum: 1234567,
      ...rest,
    },
  );
}

/** `/files/versions?client=…&name=…` */
function listPath(client: Uint8Array, name: string, extra = ""): string {
  return `/files/versions?client=${toHex(client)}&name=${
    encodeURIComponent(name)
  }${extra}`;
}

Deno.test("the version list shows each version of a name newest first, with what it is", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "alice");
    const first = addVersion(f, id, "doc.txt", encoder.encode("one"), {
      now: "2026-11-01T10:00:00.000Z",
      dialect: "iv-prefix",
    });
    addVersion(f, id, "doc.txt", encoder.encode("two!"), {
      now: "2026-11-02T10:00:00.000Z",
      transport: "http",
    });
    addVersion(f, id, "other.txt", encoder.encode("x"));
    const browser = await signedIn(f);
    const response = await browser.request(listPath(id, "doc.txt"));
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /<h1>doc.txt<\/h1>/);
    const rows = [...html.matchAll(/<tr data-version="(\d+)"[^]*?<\/tr>/g)];
    assert.deepEqual(rows.map((r) => r[1]), ["2", "1"]);
    assert.match(rows[0][0], /latest/);
    assert.match(rows[0][0], />http</);
    assert.match(rows[0][0], />4 B</);
    assert.doesNotMatch(rows[1][0], /latest/);
    assert.match(rows[1][0], />tcp</);
    assert.match(rows[1][0], />iv-prefix</);
    assert.match(rows[1][0], /2026-11-01 10:00 UTC/);
    assert.match(rows[1][0], new RegExp(`>${first.blake3.slice(0, 12)}<`));
    assert.match(rows[1][0], new RegExp(`title="${first.blake3}"`));
    assert.match(rows[1][0], /1234567/);
    assert.doesNotMatch(html, /other.txt/);
  } finally {
    await f.close();
  }
});

Deno.test("the version list answers 404 for an unknown client, name or malformed id", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "bob");
    addVersion(f, id, "a.txt", encoder.encode("a"));
    const browser = await signedIn(f);
    for (
      const path of [
        listPath(id, "b.txt"),
        listPath(new Uint8Array(16), "a.txt"),
        "/files/versions?client=nothex&name=a.txt",
        `/files/versions?client=${toHex(id)}`,
      ]
    ) {
      assert.equal((await browser.request(path)).status, 404, path);
    }
  } finally {
    await f.close();
  }
});

Deno.test("any version downloads with its own bytes and the name safely encoded", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "carol");
    const name = "été; v2 & 100%.txt";
    addVersion(f, id, name, encoder.encode("first draft"));
    addVersion(f, id, name, encoder.encode("second draft, longer"));
    const browser = await signedIn(f);
    const path = (n: number | string) =>
      `/files/versions/download?client=${toHex(id)}&name=${
        encodeURIComponent(name)
      }&number=${n}`;
    const one = await browser.request(path(1));
    assert.equal(one.status, 200);
    assert.equal(await one.text(), "first draft");
    assert.equal(one.headers.get("content-length"), "11");
    assert.equal(
      one.headers.get("content-disposition"),
      `attachment; filename="_t_; v2 & 100%.txt"; filename*=UTF-8''%C3%A9t%C3%A9%3B%20v2%20%26%20100%25.txt`,
    );
    assert.equal(
      await (await browser.request(path(2))).text(),
      "second draft, longer",
    );
    for (const n of [3, 0, -1, "x"]) {
      const missing = await browser.request(path(n));
      assert.equal(missing.status, 404, String(n));
      await missing.body?.cancel();
    }
  } finally {
    await f.close();
  }
});

Deno.test("a version whose object is gone is a 404, not a crash", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "dora");
    const version = addVersion(f, id, "gone.bin", encoder.encode("bye"));
    await Deno.remove(
      f.store.objects.objectPath(version.blake3),
    );
    const browser = await signedIn(f);
    const response = await browser.request(
      `/files/versions/download?client=${toHex(id)}&name=gone.bin&number=1`,
    );
    assert.equal(response.status, 404);
    await response.body?.cancel();
  } finally {
    await f.close();
  }
});

Deno.test("pinning and unpinning need the CSRF token and are recorded in the audit log", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "erin");
    addVersion(f, id, "db.sql", encoder.encode("v1"));
    const two = addVersion(f, id, "db.sql", encoder.encode("v2"));
    const browser = await signedIn(f);
    const fields = { client: toHex(id), name: "db.sql", number: "2" };
    const forged = await browser.post("/files/versions/pin", fields);
    assert.equal(forged.status, 403);
    assert.equal(f.deps.db.versions.get(two.id)?.pinned, false);

    const csrf = await browser.csrf();
    const pinned = await browser.post("/files/versions/pin", {
      ...fields,
      _csrf: csrf,
    });
    assert.equal(pinned.status, 303);
    assert.equal(
      pinned.headers.get("location"),
      `${listPath(id, "db.sql")}&done=version-pinned`,
    );
    assert.equal(f.deps.db.versions.get(two.id)?.pinned, true);
    const page = await (await browser.request(pinned.headers.get("location")!))
      .text();
    assert.match(page, /Version pinned/);
    assert.match(page, /<tr data-version="2"[^]*?pinned[^]*?Unpin/);

    const unpinned = await browser.post("/files/versions/unpin", {
      ...fields,
      _csrf: csrf,
      back: "/files?q=db",
    });
    assert.equal(
      unpinned.headers.get("location"),
      "/files?q=db&done=version-unpinned",
    );
    assert.equal(f.deps.db.versions.get(two.id)?.pinned, false);

    const log = f.deps.db.audit.list({ action: "version" }).rows;
    assert.deepEqual(
      log.map((e) => [e.action, e.actor, e.address, e.target]),
      [
        ["version.unpin", "admin", "192.0.2.10", `${toHex(id)}/db.sql`],
        ["version.pin", "admin", "192.0.2.10", `${toHex(id)}/db.sql`],
      ],
    );
    assert.deepEqual(JSON.parse(log[1].detail!), {
      version: 2,
      blake3: two.blake3,
    });

    const missing = await browser.post("/files/versions/pin", {
      ...fields,
      number: "9",
      _csrf: csrf,
    });
    assert.match(missing.headers.get("location")!, /done=not-found/);
    assert.equal(f.deps.db.audit.list({ action: "version" }).total, 2);
  } finally {
    await f.close();
  }
});

/** Gives the fixture's portal the trash (and the scheduler its type comes with, never started). */
function withTrash(f: Fixture): MaintenanceScheduler {
  const db = f.deps.db as Database;
  const trash = new Trash(db, f.store);
  const maintenance = new MaintenanceScheduler({
    db,
    files: f.store,
    trash,
    intervalMs: 0,
  });
  f.deps.history = { trash, maintenance };
  return maintenance;
}

Deno.test("a version goes to the trash and back through the trash service, the latest copy following", async () => {
  const f = await makeFixture();
  const maintenance = withTrash(f);
  try {
    const id = addClient(f.db, "lena");
    addVersion(f, id, "doc.txt", encoder.encode("good"));
    const bad = addVersion(f, id, "doc.txt", encoder.encode("RANSOM"));
    const browser = await signedIn(f);
    const csrf = await browser.csrf();
    const fields = { client: toHex(id), name: "doc.txt", number: "2" };
    const latest = async () =>
      await (await browser.request(
        `/files/download?client=${toHex(id)}&name=doc.txt`,
      )).text();

    const trashed = await browser.post("/files/versions/trash", {
      ...fields,
      _csrf: csrf,
    });
    assert.equal(
      trashed.headers.get("location"),
      `${listPath(id, "doc.txt")}&done=version-trashed`,
    );
    assert.ok(f.deps.db.versions.get(bad.id)?.trashedAt);
    assert.equal(await latest(), "good");
    const html = await (await browser.request(trashed.headers.get("location")!))
      .text();
    assert.match(html, /Version moved to the trash/);
    const row = (n: number) =>
      new RegExp(`<tr data-version="${n}"[^]*?</tr>`).exec(html)![0];
    assert.match(row(2), /trashed/);
    assert.match(row(2), /Restore/);
    assert.match(row(1), /latest/);

    const again = await browser.post("/files/versions/trash", {
      ...fields,
      _csrf: csrf,
    });
    assert.match(again.headers.get("location")!, /done=not-found/);

    const restored = await browser.post("/files/versions/untrash", {
      ...fields,
      _csrf: csrf,
    });
    assert.match(restored.headers.get("location")!, /done=version-restored/);
    assert.equal(f.deps.db.versions.get(bad.id)?.trashedAt, null);
    assert.equal(await latest(), "RANSOM");

    const log = f.deps.db.audit.list({ action: "version" }).rows;
    assert.deepEqual(
      log.map((e) => [e.action, e.actor, e.address]),
      [
        ["version.untrash", "admin", "192.0.2.10"],
        ["version.trash", "admin", "192.0.2.10"],
      ],
    );
  } finally {
    await maintenance.stop();
    await f.close();
  }
});

Deno.test("deleting a file from the files list moves every version to the trash, audited, and the name leaves the list", async () => {
  const f = await makeFixture();
  const maintenance = withTrash(f);
  try {
    const id = addClient(f.db, "mona");
    const first = addVersion(f, id, "doc.txt", encoder.encode("one"));
    const second = addVersion(f, id, "doc.txt", encoder.encode("two"));
    const browser = await signedIn(f);
    const response = await browser.post("/files/delete", {
      _csrf: await browser.csrf(),
      client: toHex(id),
      name: "doc.txt",
      back: "/files",
    });
    assert.equal(response.headers.get("location"), "/files?done=file-deleted");
    for (const version of [first, second]) {
      assert.ok(f.deps.db.versions.get(version.id)?.trashedAt);
    }
    assert.equal(f.deps.db.files.get(id, "doc.txt"), undefined);
    await assert.rejects(
      Deno.stat(f.store.pathOf(id, "doc.txt")),
      Deno.errors.NotFound,
    );
    const log = f.deps.db.audit.list({ action: "file" }).rows;
    assert.deepEqual(log.map((e) => [e.action, e.target]), [
      ["file.delete", `${toHex(id)}/doc.txt`],
    ]);
  } finally {
    await maintenance.stop();
    await f.close();
  }
});

Deno.test("without the trash service, trashing is a 404 and changes nothing", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "mona");
    const version = addVersion(f, id, "a.txt", encoder.encode("a"));
    const browser = await signedIn(f);
    const response = await browser.post("/files/versions/trash", {
      _csrf: await browser.csrf(),
      client: toHex(id),
      name: "a.txt",
      number: "1",
    });
    assert.equal(response.status, 404);
    assert.equal(f.deps.db.versions.get(version.id)?.trashedAt, null);
  } finally {
    await f.close();
  }
});

Deno.test("behind a trusted proxy, the audit log names the administrator's own address", async () => {
  const f = await makeFixture({ config: { trustedProxy: "10.0.0.0/8" } });
  try {
    const id = addClient(f.db, "nina");
    addVersion(f, id, "a.txt", encoder.encode("a"));
    const browser = new TestBrowser(f.app, "10.0.0.2");
    await browser.signIn();
    const response = await browser.post("/files/versions/pin", {
      _csrf: await browser.csrf(),
      client: toHex(id),
      name: "a.txt",
      number: "1",
    }, { "x-forwarded-for": "198.51.100.7" });
    assert.equal(response.status, 303);
    const [entry] = f.deps.db.audit.list({ action: "version" }).rows;
    assert.equal(entry.address, "198.51.100.7");
  } finally {
    await f.close();
  }
});

Deno.test("an act returns only to a page of this site", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "fred");
    addVersion(f, id, "a.txt", encoder.encode("a"));
    const browser = await signedIn(f);
    const response = await browser.post("/files/versions/pin", {
      _csrf: await browser.csrf(),
      client: toHex(id),
      name: "a.txt",
      number: "1",
      back: "//evil.example/steal",
    });
    assert.equal(response.headers.get("location"), "/?done=version-pinned");
  } finally {
    await f.close();
  }
});

Deno.test("the files list counts each name's versions and links to them", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "gina");
    for (const text of ["1", "2", "3"]) {
      addVersion(f, id, "three.txt", encoder.encode(text));
    }
    addVersion(f, id, "one.txt", encoder.encode("only"));
    const browser = await signedIn(f);
    for (const path of ["/files", `/clients/${toHex(id)}`]) {
      const html = await (await browser.request(path)).text();
      const link = (name: string) =>
        new RegExp(
          `<tr data-file="${name}"[^]*?<a href="${
            listPath(id, name).replaceAll("?", "\\?").replaceAll("&", "&amp;")
          }" data-versions="(\\d+)"`,
        ).exec(html)?.[1];
      assert.equal(link("three.txt"), "3", path);
      assert.equal(link("one.txt"), "1", path);
    }
  } finally {
    await f.close();
  }
});

Deno.test("the client page shows history size, dedup savings and quota use with a warning from 90 %", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "hugo");
    const kib = new Uint8Array(1024).fill(7);
    // Four versions of the same KiB under two names: 4 KiB logical, 1 KiB distinct.
    for (const name of ["a.bin", "b.bin"]) {
      addVersion(f, id, name, kib);
      addVersion(f, id, name, kib);
    }
    const browser = await signedIn(f);
    const panel = async () => {
      const html = await (await browser.request(`/clients/${toHex(id)}`))
        .text();
      return /<section class="panel" data-panel="history">[^]*?<\/section>/
        .exec(html)![0];
    };
    let html = await panel();
    assert.match(html, /4 · 4\.00 KiB\s*before deduplication/);
    assert.match(
      html,
      /1\.00 KiB of distinct content · saves\s*3\.00 KiB \(75%\)/,
    );
    assert.match(html, /no quota/);
    assert.match(html, new RegExp(`href="/retention\\?client=${toHex(id)}"`));
    assert.doesNotMatch(html, /near quota|over quota/);

    const policy = f.deps.db.policies.effective(id);
    const now = new Date().toISOString();
    f.deps.db.policies.set(id, {
      ...policy,
      quotaBytes: 4400,
      quotaVersions: 10,
    }, now);
    html = await panel();
    assert.match(
      html,
      /data-quota-level="warn">4\.00 KiB of 4\.30 KiB \(\s*93%\)/,
    );
    assert.match(html, /data-quota-level="ok">4 of 10 \(\s*40%\)/);
    assert.match(html, /near quota/);

    f.deps.db.policies.set(id, {
      ...policy,
      quotaBytes: null,
      quotaVersions: 3,
    }, now);
    html = await panel();
    assert.match(html, /data-quota-level="over">4 of 3 \(\s*133%\)/);
    assert.match(html, /over quota/);
  } finally {
    await f.close();
  }
});

Deno.test("the dashboard shows the storage deduplication saves", async () => {
  const f = await makeFixture();
  try {
    const a = addClient(f.db, "ivan");
    const b = addClient(f.db, "jane");
    const mib = new Uint8Array(1024 * 1024).fill(1);
    addVersion(f, a, "big.iso", mib);
    addVersion(f, b, "copy.iso", mib);
    addVersion(f, b, "small.txt", encoder.encode("x".repeat(1024)));
    const browser = await signedIn(f);
    const html = await (await browser.request("/")).text();
    const panel = /<section class="panel" data-panel="dedup">[^]*?<\/section>/
      .exec(html)![0];
    assert.match(panel, /Logical size<\/dt><dd>2\.00 MiB</);
    assert.match(panel, /Stored<\/dt><dd>1\.00 MiB</);
    assert.match(panel, /data-saved="1048576">1\.00 MiB \(50%\)/);
  } finally {
    await f.close();
  }
});

Deno.test("the version list pages a name with 100,000 versions, and the pages that count them stay quick", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "kate");
    const first = addVersion(f, id, "log.txt", encoder.encode("log"));
    const insert = f.db.prepare(
      `INSERT INTO versions (ClientID, FileName, Number, Blake3, Size, Checksum, StoredAt)
       VALUES (?, 'log.txt', ?, ?, 3, 1, ?)`,
    );
    f.db.exec("BEGIN");
    for (let n = 2; n <= 100_000; n++) {
      insert.run(
        id,
        n,
        first.blake3,
        new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
      );
    }
    f.db.exec("COMMIT");
    const browser = await signedIn(f);
    for (const [page, top] of [[1, 100_000], [2000, 50]] as const) {
      const started = performance.now();
      const html = await (await browser.request(
        listPath(id, "log.txt", `&page=${page}`),
      )).text();
      const elapsed = performance.now() - started;
      const rows = [...html.matchAll(/<tr data-version="(\d+)"/g)];
      assert.equal(rows.length, 50);
      assert.equal(rows[0][1], String(top));
      assert.ok(elapsed < 2000, `page ${page} took ${elapsed} ms`);
    }
    for (const path of ["/", "/files", `/clients/${toHex(id)}`]) {
      const started = performance.now();
      const html = await (await browser.request(path)).text();
      const elapsed = performance.now() - started;
      assert.match(html, /100,000/, path);
      assert.ok(elapsed < 2000, `${path} took ${elapsed} ms`);
    }
  } finally {
    await f.close();
  }
});
