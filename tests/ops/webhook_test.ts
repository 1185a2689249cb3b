/** Webhook delivery to a real local HTTP receiver: signature, retries, backoff. */
import assert from "node:assert/strict";
import {
  deliverWebhook,
  SIGNATURE_HEADER,
  signPayload,
  TIMESTAMP_HEADER,
  verifySignature,
} from "../../server/ops/webhook.ts";

Deno.test("a signature verifies only for its secret, body and a recent timestamp", () => {
  const body = '{"type":"test"}';
  const signature = signPayload("k", 1000, body);
  assert.match(signature, /^sha256=[0-9a-f]{64}$/);
  const input = { timestamp: "1000", signature, body };
  assert.equal(verifySignature("k", input, 1010), true);
  assert.equal(verifySignature("other", input, 1010), false);
  assert.equal(
    verifySignature("k", { ...input, body: body + " " }, 1010),
    false,
  );
  assert.equal(
    verifySignature("k", { ...input, timestamp: "1001" }, 1010),
    false,
  );
  assert.equal(verifySignature("k", input, 1000 + 301), false);
});

Deno.test("deliverWebhook retries a failing receiver with growing waits, then delivers signed", async () => {
  const seen: { status: number; valid: boolean; at: number }[] = [];
  let calls = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const body = await req.text();
      const valid = verifySignature("s3cret", {
        timestamp: req.headers.get(TIMESTAMP_HEADER) ?? "",
        signature: req.headers.get(SIGNATURE_HEADER) ?? "",
        body,
      }, Math.floor(Date.now() / 1000));
      const status = ++calls < 3 ? 503 : 204;
      seen.push({ status, valid, at: Date.now() });
      return new Response(null, { status });
    },
  );
  try {
    const result = await deliverWebhook(
      {
        url: `http://127.0.0.1:${server.addr.port}/hook`,
        secret: "s3cret",
        attempts: 5,
        backoffMs: 50,
      },
      '{"type":"test"}',
      {},
    );
    assert.deepEqual(result, { ok: true, attempts: 3, detail: "HTTP 204" });
    assert.deepEqual(seen.map((s) => s.valid), [true, true, true]);
    // Backoff doubles: at least 50 ms, then 100 ms.
    assert.ok(seen[1].at - seen[0].at >= 45);
    assert.ok(seen[2].at - seen[1].at >= 95);
  } finally {
    await server.shutdown();
  }
});

Deno.test("deliverWebhook stops at a permanent 4xx and gives up after the last try", async () => {
  let calls = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      calls++;
      return new Response("no", { status: 410 });
    },
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}/`;
    const gone = await deliverWebhook(
      { url, secret: "s", attempts: 4, backoffMs: 10 },
      "{}",
      {},
    );
    assert.deepEqual(gone, { ok: false, attempts: 1, detail: "HTTP 410" });
    assert.equal(calls, 1);
  } finally {
    await server.shutdown();
  }
  // Nothing listens on the port any more: every try fails, then it gives up.
  const refused = await deliverWebhook(
    {
      url: `http://127.0.0.1:${server.addr.port}/`,
      secret: "s",
      attempts: 2,
      backoffMs: 10,
    },
    "{}",
    {},
  );
  assert.equal(refused.ok, false);
  assert.equal(refused.attempts, 2);
});
