/** Session tokens: idle expiry, explicit close, limits and shutdown. */
import assert from "node:assert/strict";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import {
  call,
  idBytes,
  randomBytes,
  registerClient,
  sendPacket,
  startApi,
} from "./fixture.ts";

Deno.test("a session idle for 10 minutes expires and its upload is recorded as aborted", async () => {
  let now = 1_000_000;
  const api = await startApi({
    sessions: { now: () => now, sweepMs: 3_600_000 },
  });
  try {
    const client = await registerClient(api.url, "alice");
    const cipher = encrypt(client.aesKey, randomBytes(64)) as Uint8Array<
      ArrayBuffer
    >;
    const first = await sendPacket(api.url, client, {
      file: "half.bin",
      packet: 1,
      total: 2,
      size: 64,
      content: cipher.slice(0, 48),
    });
    assert.equal(first.status, 202);
    now += 9 * 60_000;
    assert.equal(await api.api.sessions.sweep(), 0, "9 minutes is not idle");
    now += 60_001;
    assert.equal(await api.api.sessions.sweep(), 1);
    const late = await sendPacket(api.url, client, {
      file: "half.bin",
      packet: 2,
      total: 2,
      size: 64,
      content: cipher.slice(48),
    });
    assert.equal(late.status, 401);
    assert.equal(late.body.code, "session_expired");
    const [transfer] = api.db.transfers.list({
      client: idBytes(client.clientId),
    }).rows;
    assert.equal(transfer.outcome, "aborted");
    assert.ok(api.events.some((e) => e.type === "disconnect"));
    assert.deepEqual(
      [...Deno.readDirSync(`${api.store.root}/.tmp`)],
      [],
      "no partial upload is left behind",
    );
  } finally {
    await api.close();
  }
});

Deno.test("a token unused for 10 minutes is refused even before the sweep runs", async () => {
  let now = 0;
  const api = await startApi({
    sessions: { now: () => now, sweepMs: 3_600_000 },
  });
  try {
    const client = await registerClient(api.url, "bob");
    now += 10 * 60_000 + 1;
    const answer = await call(`${api.url}/checksum/ok`, {
      token: client.token,
      json: { fileName: "x" },
    });
    assert.equal(answer.status, 401);
    assert.equal(answer.body.code, "session_expired");
    assert.equal(api.api.sessions.size, 0);
  } finally {
    await api.close();
  }
});

Deno.test("every request keeps the session alive", async () => {
  let now = 0;
  const api = await startApi({
    sessions: { now: () => now, sweepMs: 3_600_000 },
  });
  try {
    const client = await registerClient(api.url, "carol");
    for (let i = 0; i < 3; i++) {
      now += 8 * 60_000;
      const answer = await call(`${api.url}/checksum/ok`, {
        token: client.token,
        json: { fileName: "x" },
      });
      assert.equal(answer.status, 409, "refused, but the session is alive");
    }
    assert.equal(await api.api.sessions.sweep(), 0);
  } finally {
    await api.close();
  }
});

Deno.test("DELETE /session ends the session", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "dave");
    const response = await fetch(`${api.url}/session`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${client.token}` },
    });
    assert.equal(response.status, 204);
    await response.body?.cancel();
    const after = await call(`${api.url}/checksum/ok`, {
      token: client.token,
      json: { fileName: "x" },
    });
    assert.equal(after.status, 401);
  } finally {
    await api.close();
  }
});

Deno.test("one address opening too many sessions gets 429 with Retry-After", async () => {
  const api = await startApi({
    sessions: { rateLimit: { limit: 3, windowMs: 60_000 } },
  });
  try {
    for (let i = 0; i < 3; i++) {
      const { status } = await call(`${api.url}/register`, {
        json: { name: `user${i}` },
      });
      assert.equal(status, 201);
    }
    const limited = await call(`${api.url}/reconnect`, {
      json: { name: "user0", clientId: "0".repeat(32) },
    });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, "rate_limited");
    const wait = Number(limited.headers.get("retry-after"));
    assert.ok(wait > 0 && wait <= 60, `Retry-After ${wait}`);
  } finally {
    await api.close();
  }
});

Deno.test("behind a trusted proxy the rate limit counts each client's own address", async () => {
  const api = await startApi({
    sessions: { rateLimit: { limit: 3, windowMs: 60_000 } },
    trustedProxy: "127.0.0.1",
  });
  try {
    for (let i = 0; i < 6; i++) {
      const { status } = await call(`${api.url}/register`, {
        headers: { "x-forwarded-for": `198.51.100.${i}` },
        json: { name: `proxied${i}` },
      });
      assert.equal(status, 201, `client ${i}`);
    }
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const { status } = await call(`${api.url}/register`, {
        headers: { "x-forwarded-for": "203.0.113.9" },
        json: { name: `same${i}` },
      });
      statuses.push(status);
    }
    assert.deepEqual(statuses, [201, 201, 201, 429]);
  } finally {
    await api.close();
  }
});

Deno.test("past the session cap new sessions get 429 too_many_sessions", async () => {
  const api = await startApi({ sessions: { maxSessions: 2 } });
  try {
    await registerClient(api.url, "a1");
    await registerClient(api.url, "a2");
    const full = await call(`${api.url}/register`, { json: { name: "a3" } });
    assert.equal(full.status, 429);
    assert.equal(full.body.code, "too_many_sessions");
    assert.equal(api.db.clients.byName("a3"), undefined);
  } finally {
    await api.close();
  }
});

Deno.test("close() ends every session and refuses new ones", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "erin");
    await api.api.close();
    const refused = await call(`${api.url}/register`, {
      json: { name: "late" },
    });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.code, "shutting_down");
    const gone = await call(`${api.url}/checksum/ok`, {
      token: client.token,
      json: { fileName: "x" },
    });
    assert.equal(gone.status, 401);
  } finally {
    await api.close();
  }
});
