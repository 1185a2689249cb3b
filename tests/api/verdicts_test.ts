/** Checksum verdicts and one-request-at-a-time sessions over the JSON API. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import {
  call,
  idBytes,
  randomBytes,
  registerClient,
  startApi,
  uploadData,
} from "./fixture.ts";

Deno.test("resend drops the copy and takes the file again; abort discards it", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "dave");
    const data = randomBytes(100_000);
    await uploadData(api.url, client, "r.bin", data);
    const resend = await call(`${api.url}/checksum/resend`, {
      token: client.token,
      json: { fileName: "r.bin" },
    });
    assert.equal(resend.status, 202);
    assert.deepEqual(resend.body, {
      fileName: "r.bin",
      verified: false,
      resend: true,
    });
    const again = await uploadData(api.url, client, "r.bin", data);
    assert.equal(again.status, 200);
    const abort = await call(`${api.url}/checksum/abort`, {
      token: client.token,
      json: { fileName: "r.bin" },
    });
    assert.equal(abort.status, 200);
    assert.deepEqual(abort.body, { fileName: "r.bin", verified: false });
    const id = idBytes(client.clientId);
    assert.equal(api.db.files.of(id, "r.bin"), undefined);
    const [transfer] = api.db.transfers.list({ client: id }).rows;
    assert.equal(transfer.outcome, "failed");
    assert.equal(transfer.attempts, 2);
  } finally {
    await api.close();
  }
});

Deno.test("a checksum/ok refused while another process holds the write lock is 500, and its retry stores the file, as over TCP", async () => {
  const api = await startApi({ busyTimeoutMs: 50 });
  try {
    const client = await registerClient(api.url, "fred");
    const data = randomBytes(1000);
    assert.equal(
      (await uploadData(api.url, client, "l.bin", data)).status,
      200,
    );
    const ok = () =>
      call(`${api.url}/checksum/ok`, {
        token: client.token,
        json: { fileName: "l.bin" },
      });
    const other = new DatabaseSync(join(api.dir, "defensive.db"));
    other.exec("BEGIN IMMEDIATE");
    try {
      const locked = await ok();
      assert.equal(locked.status, 500);
      assert.equal(locked.body.code, "server_error");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    const retry = await ok();
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.body, { fileName: "l.bin", verified: true });
    const row = api.db.files.of(idBytes(client.clientId), "l.bin");
    assert.equal(row?.size, 1000);
    assert.equal(row?.verified, true);
  } finally {
    await api.close();
  }
});

Deno.test("a verdict with no file awaiting it is 409; an unknown verdict is 404", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "erin");
    const none = await call(`${api.url}/checksum/ok`, {
      token: client.token,
      json: { fileName: "x.bin" },
    });
    assert.equal(none.status, 409);
    assert.equal(none.body.code, "no_file_awaiting");
    const unknown = await call(`${api.url}/checksum/maybe`, {
      token: client.token,
      json: { fileName: "x.bin" },
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, "not_found");
    const badName = await call(`${api.url}/checksum/ok`, {
      token: client.token,
      json: { fileName: "../x" },
    });
    assert.equal(badName.status, 400);
    assert.equal(badName.body.code, "invalid_file_name");
  } finally {
    await api.close();
  }
});

Deno.test("a second request while one is served is 409 session_busy", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "mia");
    const data = randomBytes(64);
    const cipher = encrypt(client.aesKey, data) as Uint8Array<ArrayBuffer>;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    const slow = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(cipher.slice(0, 32));
        await gate;
        controller.enqueue(cipher.slice(32));
        controller.close();
      },
    });
    const first = call(
      `${api.url}/packet?file=b.bin&packet=1&total=1&size=64&length=80`,
      { token: client.token, method: "POST", body: slow },
    );
    // Wait until the server is inside the first request.
    while (!api.events.some((e) => e.type === "transfer-start")) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const second = await call(`${api.url}/checksum/ok`, {
      token: client.token,
      json: { fileName: "b.bin" },
    });
    assert.equal(second.status, 409);
    assert.equal(second.body.code, "session_busy");
    release();
    assert.equal((await first).status, 200);
  } finally {
    await api.close();
  }
});

Deno.test("a packet body that stalls fails after the idle time and frees the session", async () => {
  const api = await startApi({ bodyIdleMs: 100 });
  try {
    const client = await registerClient(api.url, "nina");
    const data = randomBytes(64);
    const cipher = encrypt(client.aesKey, data) as Uint8Array<ArrayBuffer>;
    let close!: () => void;
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(cipher.slice(0, 32));
        close = () => controller.close();
      },
    });
    const answer = await call(
      `${api.url}/packet?file=s.bin&packet=1&total=1&size=64&length=80`,
      { token: client.token, method: "POST", body: stalled },
    );
    close();
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, "length_mismatch");
    assert.match(answer.body.message as string, /no data for 0.1 s/);
    const again = await uploadData(api.url, client, "s.bin", data);
    assert.equal(again.status, 200, "the session is free again");
  } finally {
    await api.close();
  }
});
