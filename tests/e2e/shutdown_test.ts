/**
 * SIGTERM: the server stops accepting, lets the upload in flight finish and
 * verify, then exits cleanly with the file stored.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { ResponseCode } from "../../server/protocol/constants.ts";
import {
  clientDir,
  confirmChecksum,
  registerClient,
  sendFrames,
  startServer,
  uploadFrames,
  waitUntil,
} from "./harness.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

Deno.test("SIGTERM lets the transfer in flight finish, refuses new clients and exits 0", async () => {
  const server = await startServer({ args: ["--shutdown-grace", "20s"] });
  try {
    const client = await registerClient(server.port, "erin");
    const data = crypto.getRandomValues(new Uint8Array(60_000));
    const frames = uploadFrames(client, "late.bin", data, 8 * 1024);
    const half = Math.floor(frames.length / 2);
    for (const frame of frames.slice(0, half)) await client.raw.write(frame);
    // SIGTERM spares only a transfer the server has started: wait for its row.
    await waitUntil(
      () => transferOutcome(server.dataDir) === "in_progress",
      "the upload's transfer row",
    );
    server.child.kill("SIGTERM");
    await server.waitForOutput(/Shutting down/);
    assert.equal(
      await answersNewConnection(server.port),
      false,
      "no new connections once stopping",
    );
    const received = await sendFrames(client, frames.slice(half));
    assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
    const ack = await confirmChecksum(client, "late.bin");
    assert.equal(ack?.code, ResponseCode.ACK);
    assert.equal(await client.raw.read(), null, "then the server hangs up");
    client.raw.close();
    const status = await server.child.status;
    assert.equal(status.code, 0);
    assertBytesEqual(
      await Deno.readFile(`${clientDir(server, client.clientId)}/late.bin`),
      data,
    );
    assert.equal(transferOutcome(server.dataDir), "verified");
  } finally {
    await server.stop();
  }
});

/** The outcome of the upload of late.bin, if it has started. */
function transferOutcome(dataDir: string): string | undefined {
  const db = new DatabaseSync(`${dataDir}/defensive.db`, { readOnly: true });
  try {
    const row = db.prepare(
      "SELECT Outcome FROM transfers WHERE FileName = 'late.bin'",
    ).get() as { Outcome: string } | undefined;
    return row?.Outcome;
  } finally {
    db.close();
  }
}

/**
 * Whether a new client gets anything but a refusal. A connect may still land
 * in a listener's backlog while it closes; the kernel then resets it, or the
 * server closes it unanswered, which is a refusal too.
 */
async function answersNewConnection(port: number): Promise<boolean> {
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return false;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const read = conn.read(new Uint8Array(1)).catch(() => null);
    const timeout = new Promise<"open">((r) => {
      timer = setTimeout(() => r("open"), 5_000);
    });
    return await Promise.race([read, timeout]) !== null;
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}
