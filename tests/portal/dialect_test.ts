/** The portal shows how each client speaks and counts uploads by dialect. */
import assert from "node:assert/strict";
import { addClient, makeFixture, TestBrowser } from "./fixture.ts";
import { toHex } from "../../shared/encoding.ts";

Deno.test("the client page says how the client speaks once it is recorded", async () => {
  const f = await makeFixture();
  const id = addClient(f.db, "classic");
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const before = await (await browser.request(`/clients/${toHex(id)}`))
      .text();
    assert.match(before, /How it speaks/);
    assert.match(before, /not seen yet/);
    f.db.prepare(
      "UPDATE clients SET KeyField = '162-junk', IvPrefix = 1, SizeMeaning = 'per-packet' WHERE ID = ?",
    ).run(id);
    const html = await (await browser.request(`/clients/${toHex(id)}`)).text();
    assert.match(
      html,
      /162-byte field: 160-byte key \(e = 17\) and 2 ignored bytes/,
    );
    assert.match(html, /yes: 16 zero bytes open each upload/);
    assert.match(html, /size of each packet(&#39;|')s content/);
    assert.doesNotMatch(html, /not seen yet/);
  } finally {
    await f.close();
  }
});

Deno.test("/metrics counts uploads by dialect over a fixed label set", async () => {
  const f = await makeFixture();
  try {
    for (const sizes of ["per-packet", "per-packet", "either"] as const) {
      f.stats.apply({ type: "upload-received", ivPrefix: true, sizes });
    }
    const text = await (await f.app.request("/metrics")).text();
    const name = "cyberbackup_uploads_by_dialect_total";
    const samples = text.split("\n").filter((l) => l.startsWith(`${name}{`));
    assert.equal(samples.length, 6);
    for (
      const line of [
        `${name}{iv_prefix="yes",content_size="per-packet"} 2`,
        `${name}{iv_prefix="yes",content_size="either"} 1`,
        `${name}{iv_prefix="no",content_size="total"} 0`,
      ]
    ) assert.ok(samples.includes(line), `missing: ${line}`);
  } finally {
    await f.close();
  }
});
