/**
 * The browser's keyed session: a request the server answers 401 because it
 * forgot the session is sent once more on a new one, and only once.
 */
import assert from "node:assert/strict";
import { BackupApiClient } from "../../../browser/backup/api.ts";
import { Connection, isExpired } from "../../../browser/backup/connection.ts";
import { type ApiFixture, startApi } from "../../api/fixture.ts";

/**
 * A connection of a new client `name` whose server forgets the session just
 * before the first `times` requests to `path`; `requests()` counts them.
 */
async function forgetful(
  api: ApiFixture,
  name: string,
  options: { path: string; times: number },
) {
  const { path, times } = options;
  let seen = 0;
  const fetcher: typeof fetch = async (input, init) => {
    if (new URL(String(input)).pathname.endsWith(path) && seen++ < times) {
      const token = new Headers(init?.headers).get("authorization")!
        .slice("Bearer ".length);
      await api.api.sessions.close(api.api.sessions.get(token), "test");
    }
    return fetch(input, init);
  };
  const client = new BackupApiClient({ base: api.url, fetch: fetcher });
  const info = await client.info();
  const connection = await Connection.register(client, {
    name,
    hash: info.oaepHash,
    saved: () => Promise.resolve(),
  });
  return { connection, requests: () => seen };
}

Deno.test("history() and versions() reconnect once when the server forgot the session", async () => {
  const api = await startApi();
  try {
    const files = await forgetful(api, "ann", { path: "/files", times: 1 });
    assert.deepEqual((await files.connection.history()).files, []);
    assert.equal(files.requests(), 2);
    const list = await forgetful(api, "ben", {
      path: "/restore/list",
      times: 1,
    });
    assert.deepEqual(await list.connection.versions(), []);
    assert.equal(list.requests(), 2);
  } finally {
    await api.close();
  }
});

Deno.test("history() and versions() give up when the new session is forgotten too", async () => {
  const api = await startApi();
  try {
    const files = await forgetful(api, "cat", { path: "/files", times: 2 });
    await assert.rejects(files.connection.history(), isExpired);
    assert.equal(files.requests(), 2);
    const list = await forgetful(api, "dan", {
      path: "/restore/list",
      times: 2,
    });
    await assert.rejects(list.connection.versions(), isExpired);
    assert.equal(list.requests(), 2);
  } finally {
    await api.close();
  }
});
