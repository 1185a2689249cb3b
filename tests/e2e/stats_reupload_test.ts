/**
 * The gauges of the real server process without anyone opening the portal:
 * a re-upload of a stored name replaces the file, so `/metrics` keeps
 * counting it once, and the count survives a restart.
 */
import assert from "node:assert/strict";
import { ResponseCode } from "../../server/protocol/constants.ts";
import {
  confirmChecksum,
  registerClient,
  startServer,
  type TestServer,
  uploadFile,
} from "./harness.ts";

/** The value of one unlabelled gauge on `/metrics`. */
async function gauge(server: TestServer, name: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${server.httpPort}/metrics`);
  const text = await response.text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

Deno.test("a re-upload of a stored name leaves /metrics counting one file per name, before and after a restart", async () => {
  const first = await startServer();
  const dataDir = first.dataDir;
  try {
    const client = await registerClient(first.port, "erin");
    try {
      for (const name of ["a.txt", "b.txt", "a.txt", "b.txt", "a.txt"]) {
        const data = new TextEncoder().encode(`${name} at ${Date.now()}\n`);
        const received = await uploadFile(client, name, data);
        assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
        const ack = await confirmChecksum(client, name);
        assert.equal(ack?.code, ResponseCode.ACK);
      }
    } finally {
      client.raw.close();
    }
    assert.equal(await gauge(first, "cyberbackup_files_verified"), 2);
    assert.equal(await gauge(first, "cyberbackup_clients_registered"), 1);
  } finally {
    await first.stop();
  }
  const second = await startServer({ dataDir });
  try {
    assert.equal(await gauge(second, "cyberbackup_files_verified"), 2);
  } finally {
    await second.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
