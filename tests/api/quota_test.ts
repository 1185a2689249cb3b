/** Backup history over the JSON API: versions with transport "http", quotas as 507 over_quota. */
import assert from "node:assert/strict";
import { NO_POLICY } from "../../server/storage/sqlite/policies.ts";
import {
  backUp,
  call,
  idBytes,
  randomBytes,
  registerClient,
  startApi,
  uploadData,
} from "./fixture.ts";

Deno.test('uploads over the JSON API become versions with transport "http", their content stored once', async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "erin");
    const data = randomBytes(70_000);
    await backUp(api.url, client, "e.bin", data);
    await backUp(api.url, client, "e.bin", data);
    const id = idBytes(client.clientId);
    const versions = api.db.versions.list(id, "e.bin");
    assert.deepEqual(versions.map((v) => [v.number, v.transport]), [
      [1, "http"],
      [2, "http"],
    ]);
    assert.equal(versions[0].blake3, versions[1].blake3);
    assert.equal(api.db.versions.totals().storedBytes, data.length);
  } finally {
    await api.close();
  }
});

Deno.test("an upload over quota is 507 over_quota, at its first packet and at checksum/ok", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "gina");
    const id = idBytes(client.clientId);
    api.db.policies.set(id, { ...NO_POLICY, quotaBytes: 150_000 }, "2026Z");
    await backUp(api.url, client, "a.bin", randomBytes(100_000));
    const refused = await uploadData(
      api.url,
      client,
      "b.bin",
      randomBytes(60_000),
    );
    assert.equal(refused.status, 507);
    assert.equal(refused.body.code, "over_quota");
    assert.match(
      String(refused.body.message),
      /over quota: 100000 bytes kept \+ 60000/,
    );

    // Admitted at packet 1, then the quota shrinks before the verdict.
    const received = await uploadData(
      api.url,
      client,
      "c.bin",
      randomBytes(40_000),
    );
    assert.equal(received.status, 200);
    api.db.policies.set(id, { ...NO_POLICY, quotaVersions: 1 }, "2026Z");
    const ok = await call(`${api.url}/checksum/ok`, {
      token: client.token,
      json: { fileName: "c.bin" },
    });
    assert.equal(ok.status, 507);
    assert.equal(ok.body.code, "over_quota");
    assert.deepEqual(
      api.db.versions.names(id).rows.map((r) => r.fileName),
      ["a.bin"],
    );
  } finally {
    await api.close();
  }
});
