/**
 * serveConnection() over a real loopback socket: pipelined requests are
 * answered without waiting on the client's delayed ACK.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeRequest } from "../../server/protocol/client_codec.ts";
import { RequestCode } from "../../server/protocol/constants.ts";
import { Session } from "../../server/session/session.ts";
import { Database } from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";
import { serveConnection } from "../../server/tcp/connection.ts";
import { ExactReader } from "../../server/io/exact_reader.ts";

Deno.test("two pipelined requests get both answers at once, not after a delayed ACK", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cb-conn-" });
  const db = Database.open(join(dir, "defensive.db"));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const session = new Session({
      db,
      store: new FileStore(join(dir, "received_files")),
      events: () => {},
      oaepHash: "sha1",
      maxFileBytes: 1 << 20,
      transport: "tcp",
    });
    await serveConnection(conn, session, {
      maxPacketBytes: 1 << 20,
      idleTimeoutMs: () => 10_000,
    });
  })();
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  try {
    client.setNoDelay(true);
    const reader = new ExactReader(client.readable, { bufferSize: 1024 });
    const probe = encodeRequest({
      code: RequestCode.RECONNECT,
      clientId: new Uint8Array(16).fill(7),
      name: "nobody",
    });
    const pair = new Uint8Array(probe.length * 2);
    pair.set(probe);
    pair.set(probe, probe.length);
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      await client.write(pair);
      await reader.readRequired(2 * (7 + 16)); // two 1606 answers
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    // With Nagle on, the second answer waits ~40 ms for the delayed ACK.
    assert.ok(median < 20, `median round trip ${median.toFixed(1)} ms`);
  } finally {
    client.close();
    await served;
    listener.close();
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
