/**
 * The worker pool in this process: a worker that dies is replaced, and the
 * slots its connections held are given back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ServerEvent } from "../../server/stats/events.ts";
import { TcpServer } from "../../server/tcp/pool.ts";
import { configIn } from "./worker_config.ts";
import { RawClient, registerClient, waitUntil } from "../e2e/harness.ts";

Deno.test("a TCP worker that dies is replaced, and its connections' slots are given back", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cb-pool-" });
  const events: ServerEvent[] = [];
  const server = await TcpServer.start({
    config: configIn(dataDir),
    workers: 1,
    limits: { maxConnections: 10, idleTimeoutMs: 60_000 },
    onEvent: (event) => events.push(event),
    workerUrl: new URL("./crashing_worker.ts", import.meta.url),
  });
  const held: RawClient[] = [];
  try {
    const alice = await registerClient(server.port, "alice");
    held.push(alice.raw);
    for (let i = 0; i < 2; i++) held.push(await RawClient.connect(server.port));
    await waitUntil(() => server.limits.active === 3, "3 connections");
    assert.equal(server.addresses.connections("127.0.0.1"), 3);

    await Deno.writeTextFile(join(dataDir, "crash-now"), "");
    await waitUntil(() => server.liveWorkers === 0, "the worker's death");
    assert.equal(server.listening, false, "/health must not say tcp: true");
    assert.equal(server.limits.active, 0);
    assert.equal(server.addresses.connections("127.0.0.1"), 0);
    const connects = events.filter((e) => e.type === "connect").length;
    const disconnects = events.filter((e) => e.type === "disconnect").length;
    assert.equal(disconnects, connects);
    // The dead worker's sockets are gone with it.
    assert.equal(await alice.raw.read(), null);

    await waitUntil(() => server.listening, "a new worker");
    const bob = await registerClient(server.port, "bob");
    held.push(bob.raw);
    await waitUntil(() => server.limits.active === 1, "bob's connection");
  } finally {
    for (const raw of held) raw.close();
    const started = Date.now();
    await server.stop(500);
    assert.ok(Date.now() - started < 5000);
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the pool stops within its grace period while a connection is mid-upload", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cb-pool-" });
  let transferring = false;
  const server = await TcpServer.start({
    config: configIn(dataDir),
    workers: 2,
    limits: { maxConnections: 10, idleTimeoutMs: 60_000 },
    onEvent: (event) => {
      if (event.type === "transfer-start") transferring = true;
    },
  });
  const alice = await registerClient(server.port, "alice");
  try {
    // Packet 1 of 2: the session is in a transfer and waits for packet 2.
    await alice.raw.send({
      code: 1028,
      clientId: alice.clientId,
      contentSize: 32,
      origFileSize: 20,
      packetNumber: 1,
      totalPackets: 2,
      fileName: "a.bin",
      content: new Uint8Array(16),
    });
    // Connected is not enough: the worker must have read packet 1.
    await waitUntil(() => transferring, "the upload");
    const started = Date.now();
    await server.stop(300);
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 3000, `stopped in ${took} ms`);
    assert.equal(server.listening, false);
  } finally {
    alice.raw.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the pool stops within its grace period even when a worker hangs", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cb-pool-" });
  const server = await TcpServer.start({
    config: configIn(dataDir),
    workers: 2,
    limits: { maxConnections: 10, idleTimeoutMs: 60_000 },
    onEvent: () => {},
    workerUrl: new URL("./crashing_worker.ts", import.meta.url),
  });
  try {
    await Deno.writeTextFile(join(dataDir, "hang-on-stop"), "");
    const started = Date.now();
    await server.stop(200);
    const took = Date.now() - started;
    assert.ok(took < 200 + 2000 + 1000, `stopped in ${took} ms`);
    assert.equal(server.liveWorkers, 0);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
