/**
 * SIGTERM: the server stops accepting, lets the upload in flight finish and
 * verify, then exits cleanly with the file stored.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import {
  clientDir,
  registerClient,
  sendFrames,
  startServer,
  uploadFrames,
} from "./harness.ts";

Deno.test("SIGTERM lets the transfer in flight finish, refuses new clients and exits 0", async () => {
  const server = await startServer({ args: ["--shutdown-grace", "20s"] });
  try {
    const client = await registerClient(server.port, "erin");
    const data = crypto.getRandomValues(new Uint8Array(60_000));
    const frames = uploadFrames(client, "late.bin", data, 8 * 1024);
    const half = Math.floor(frames.length / 2);
    for (const frame of frames.slice(0, half)) await client.raw.write(frame);
    // Wait until the server has seen the upload start before stopping it.
    const deadline = Date.now() + 10_000;
    while (!server.output().includes("Connection")) {
      assert.ok(Date.now() < deadline);
      await new Promise((r) => setTimeout(r, 20));
    }
    server.child.kill("SIGTERM");
    while (!server.output().includes("Shutting down")) {
      assert.ok(Date.now() < deadline, "the server logs its shutdown");
      await new Promise((r) => setTimeout(r, 20));
    }
    await assert.rejects(
      () => Deno.connect({ hostname: "127.0.0.1", port: server.port }),
      "no new connections once stopping",
    );
    const received = await sendFrames(client, frames.slice(half));
    assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
    const ack = await client.raw.request({
      code: RequestCode.CRC_OK,
      clientId: client.clientId,
      fileName: "late.bin",
    });
    assert.equal(ack?.code, ResponseCode.ACK);
    assert.equal(await client.raw.read(), null, "then the server hangs up");
    client.raw.close();
    const status = await server.child.status;
    assert.equal(status.code, 0);
    assert.deepEqual(
      await Deno.readFile(`${clientDir(server, client.clientId)}/late.bin`),
      data,
    );
    const db = new DatabaseSync(`${server.dataDir}/defensive.db`);
    const row = db.prepare(
      "SELECT Outcome FROM transfers WHERE FileName = 'late.bin'",
    ).get() as { Outcome: string };
    db.close();
    assert.equal(row.Outcome, "verified");
  } finally {
    await server.stop();
  }
});
