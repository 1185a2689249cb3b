/** A client's own files and uploads, for a session that proves it holds the key. */
import assert from "node:assert/strict";
import { cksum } from "../../server/crypto/cksum.ts";
import {
  backUp,
  call,
  proofOf,
  randomBytes,
  registerClient,
  startApi,
} from "./fixture.ts";

Deno.test("files lists the client's verified files and its uploads, newest first", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "alice");
    const other = await registerClient(api.url, "bob");
    const one = randomBytes(1000);
    const two = randomBytes(2000);
    await backUp(api.url, client, "one.bin", one);
    await backUp(api.url, client, "two.bin", two);
    await backUp(api.url, other, "bobs.bin", randomBytes(10));
    const { status, body } = await call(`${api.url}/files`, {
      token: client.token,
      headers: { "x-key-proof": proofOf(client) },
    });
    assert.equal(status, 200);
    assert.equal(body.clientId, client.clientId);
    assert.equal(body.name, "alice");
    const files = body.files as Record<string, unknown>[];
    assert.deepEqual(
      files.map((f) => [f.fileName, f.size, f.checksum, f.verified]).sort(),
      [
        ["one.bin", 1000, cksum(one), true],
        ["two.bin", 2000, cksum(two), true],
      ],
    );
    const transfers = body.transfers as Record<string, unknown>[];
    assert.deepEqual(
      transfers.map((t) => [t.fileName, t.transport, t.outcome, t.attempts]),
      [["two.bin", "http", "verified", 1], ["one.bin", "http", "verified", 1]],
    );
  } finally {
    await api.close();
  }
});

Deno.test("files needs the key proof: without it or with a wrong one it is 403", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "carol");
    const missing = await call(`${api.url}/files`, { token: client.token });
    assert.equal(missing.status, 403);
    assert.equal(missing.body.code, "proof_invalid");
    const wrong = await call(`${api.url}/files`, {
      token: client.token,
      headers: {
        "x-key-proof": proofOf({ ...client, aesKey: randomBytes(32) }),
      },
    });
    assert.equal(wrong.status, 403);
    const unkeyed = await call(`${api.url}/register`, {
      json: { name: "dave" },
    });
    const noKey = await call(`${api.url}/files`, {
      token: unkeyed.body.token as string,
      headers: { "x-key-proof": "x" },
    });
    assert.equal(noKey.status, 409);
    assert.equal(noKey.body.code, "no_key");
  } finally {
    await api.close();
  }
});
