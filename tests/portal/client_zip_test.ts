import assert from "node:assert/strict";
import { join } from "node:path";
import { toHex } from "../../shared/encoding.ts";
import { utcDateTime } from "../../server/portal/params.ts";
import { addClient, type Fixture, makeFixture, signedIn } from "./fixture.ts";
import { storeVersion } from "../history/fixture.ts";
import { inspectZip } from "./zip_check.ts";

function keep(
  f: Fixture,
  id: Uint8Array,
  name: string,
  text: string,
  at: string,
) {
  storeVersion({ db: f.deps.db, files: f.store }, id, name, text, at);
}

Deno.test("the client page offers a zip as at a time, defaulting to now in UTC", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "zoe");
    const browser = await signedIn(f);
    const html = await (await browser.request(`/clients/${toHex(id)}`)).text();
    assert.match(html, new RegExp(`action="/clients/${toHex(id)}/zip"`));
    const value = html.match(
      /type="datetime-local" name="at" step="1" value="([^"]+)"/,
    );
    assert.ok(value, "a date-time picker");
    const shown = Date.parse(`${value[1]}Z`);
    assert.ok(Math.abs(shown - Date.now()) < 60_000, `${value[1]} is now`);
  } finally {
    await f.close();
  }
});

Deno.test("POST /clients/:id/zip streams the files as at the time asked, and audits it", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "zoe");
    keep(f, id, "a.txt", "a one", "2026-03-01T10:00:00.000Z");
    keep(f, id, "a.txt", "a two", "2026-03-01T10:00:30.500Z");
    keep(f, id, "b.txt", "b one", "2026-03-01T11:00:00.000Z");
    const browser = await signedIn(f);
    const response = await browser.post(`/clients/${toHex(id)}/zip`, {
      _csrf: await browser.csrf(),
      // Seconds included: everything stored during 10:00:30 counts.
      at: "2026-03-01T10:00:30",
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/zip");
    assert.match(
      response.headers.get("content-disposition") ?? "",
      /filename="zoe-20260301T100030Z\.zip"/,
    );
    const path = join(f.dir, "snap.zip");
    await Deno.writeFile(path, new Uint8Array(await response.arrayBuffer()));
    const out = join(f.dir, "out");
    const entries = await inspectZip(path, { test: true, extractTo: out });
    assert.deepEqual(entries.map((e) => e.name), ["a.txt"]);
    assert.equal(Deno.readTextFileSync(join(out, "a.txt")), "a two");

    const audit = f.deps.db.audit.list({ action: "client.zip" }).rows;
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor, "admin");
    assert.equal(audit[0].target, toHex(id));
    assert.equal(audit[0].address, "192.0.2.10");
    assert.deepEqual(JSON.parse(audit[0].detail ?? ""), {
      at: "2026-03-01T10:00:30.999Z",
    });
  } finally {
    await f.close();
  }
});

Deno.test("a zip needs the CSRF token and a real time; nothing is audited otherwise", async () => {
  const f = await makeFixture();
  try {
    const id = addClient(f.db, "zoe");
    const browser = await signedIn(f);
    const forged = await browser.post(`/clients/${toHex(id)}/zip`, { at: "" });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    for (const at of ["2026-02-30T10:00", "yesterday", "2026-03-01 10:00"]) {
      const bad = await browser.post(`/clients/${toHex(id)}/zip`, {
        _csrf: await browser.csrf(),
        at,
      });
      assert.equal(bad.status, 303, at);
      assert.equal(
        bad.headers.get("location"),
        `/clients/${toHex(id)}?done=bad-time`,
      );
    }
    assert.equal(f.deps.db.audit.list({ action: "client.zip" }).total, 0);
  } finally {
    await f.close();
  }
});

Deno.test("utcDateTime() reads a datetime-local value as UTC, to the end of its second, and refuses dates that do not exist", () => {
  assert.equal(utcDateTime("2026-03-01T10:00"), "2026-03-01T10:00:00.999Z");
  assert.equal(
    utcDateTime(" 2028-02-29T23:59:59 "),
    "2028-02-29T23:59:59.999Z",
  );
  for (
    const bad of [
      "2027-02-29T10:00",
      "2026-13-01T10:00",
      "1969-12-31T23:59",
      "2026-03-01T24:00",
      "",
      null,
    ]
  ) {
    assert.equal(utcDateTime(bad), undefined, String(bad));
  }
});
