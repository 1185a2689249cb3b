/** Client health on /metrics: counts always, per-client series only when switched on. */
import assert from "node:assert/strict";
import { addClient, addFile, makeFixture } from "../portal/fixture.ts";

/** Three days ago, to the second: overdue under the default day. */
const STORED_S = Math.floor(Date.now() / 1000) - 3 * 86_400;

async function scrape(clientMetrics: boolean): Promise<string> {
  const f = await makeFixture({
    config: { clientMetrics },
    seed(db) {
      const a = addClient(db, 'evil"\nname');
      addFile(db, a, "x", {
        storedAt: new Date(STORED_S * 1000).toISOString(),
      });
      addClient(db, "never", {});
    },
  });
  try {
    return await (await f.app.request("/metrics")).text();
  } finally {
    await f.close();
  }
}

Deno.test("/metrics counts clients by state and adds per-client series only when switched on", async () => {
  const off = await scrape(false);
  assert.match(off, /^cyberbackup_clients\{state="overdue"\} 1$/m);
  assert.match(off, /^cyberbackup_clients\{state="ok"\} 1$/m);
  assert.doesNotMatch(off, /cyberbackup_client_state/);
  assert.doesNotMatch(off, /evil/);
  const on = await scrape(true);
  assert.match(
    on,
    new RegExp(
      String
        .raw`^cyberbackup_client_last_success_timestamp_seconds\{client="evil\\"\\nname",id="[0-9a-f]{32}"\} ${STORED_S}$`,
      "m",
    ),
  );
  assert.match(
    on,
    /^cyberbackup_client_state\{client="never",id="[0-9a-f]{32}",state="ok"\} 1$/m,
  );
  // A client that never uploaded has no last-success series.
  assert.doesNotMatch(on, /last_success_timestamp_seconds\{client="never"/);
});
