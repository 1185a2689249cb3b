/** Register, send public key and reconnect over the JSON API. */
import assert from "node:assert/strict";
import { decryptKey, generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import { generateKeyPairSync } from "node:crypto";
import { fromBase64, toBase64 } from "../../shared/encoding.ts";
import { call, idBytes, registerClient, startApi } from "./fixture.ts";

Deno.test("info tells the OAEP hash, the key sizes and the limits", async () => {
  const api = await startApi({ oaepHash: "sha256", maxFileBytes: 5000 });
  try {
    const { status, body } = await call(`${api.url}/info`);
    assert.equal(status, 200);
    assert.deepEqual(body, {
      protocolVersion: 3,
      oaepHash: "sha256",
      rsaBits: 1024,
      publicKeySizes: [160, 162],
      maxFileBytes: 5000,
      maxPacketBytes: 1024 * 1024,
      sessionIdleSeconds: 600,
    });
  } finally {
    await api.close();
  }
});

Deno.test("register creates a client with a fresh id and opens a session", async () => {
  const api = await startApi();
  try {
    const { status, body } = await call(`${api.url}/register`, {
      json: { name: "alice" },
    });
    assert.equal(status, 201);
    assert.match(body.clientId as string, /^[0-9a-f]{32}$/);
    assert.match(body.token as string, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.expiresIn, 600);
    const client = api.db.clients.byName("alice");
    assert.ok(client);
    assert.equal(
      Array.from(client.id, (b) => b.toString(16).padStart(2, "0")).join(""),
      body.clientId,
    );
    assert.ok(
      api.events.some((e) => e.type === "registered" && e.name === "alice"),
    );
    assert.ok(api.events.some((e) => e.type === "connect"));
  } finally {
    await api.close();
  }
});

Deno.test("register answers 409 name_taken for a name that has a key", async () => {
  const api = await startApi();
  try {
    await registerClient(api.url, "bob");
    const { status, body } = await call(`${api.url}/register`, {
      json: { name: "bob" },
    });
    assert.equal(status, 409);
    assert.equal(body.code, "name_taken");
    assert.match(body.message as string, /already registered/);
  } finally {
    await api.close();
  }
});

Deno.test("register refuses names the protocol cannot carry with 400 invalid_name", async () => {
  const api = await startApi();
  try {
    for (
      const name of [
        "",
        " lead",
        "trail ",
        "tab\there",
        "naïve",
        "x".repeat(255),
        42,
        undefined,
      ]
    ) {
      const { status, body } = await call(`${api.url}/register`, {
        json: { name },
      });
      assert.equal(status, 400, `name ${JSON.stringify(name)}`);
      assert.equal(body.code, "invalid_name");
    }
    const longest = await call(`${api.url}/register`, {
      json: { name: "y".repeat(254) },
    });
    assert.equal(longest.status, 201);
    assert.equal(api.api.sessions.size, 1, "refused names open no session");
  } finally {
    await api.close();
  }
});

Deno.test("bad JSON bodies get 400 invalid_json and oversized ones 413", async () => {
  const api = await startApi();
  try {
    const broken = await call(`${api.url}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{name:",
    });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.code, "invalid_json");
    const array = await call(`${api.url}/register`, { json: ["alice"] });
    assert.equal(array.body.code, "invalid_json");
    const big = await call(`${api.url}/register`, {
      json: { name: "a", pad: "x".repeat(5000) },
    });
    assert.equal(big.status, 413);
    assert.equal(big.body.code, "body_too_large");
  } finally {
    await api.close();
  }
});

Deno.test("a Web Crypto key (exponent 65537, 162 bytes) gets the session key", async () => {
  const api = await startApi();
  try {
    const registered = await call(`${api.url}/register`, {
      json: { name: "carol" },
    });
    const pair = await crypto.subtle.generateKey(
      {
        name: "RSA-OAEP",
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-1",
      },
      true,
      ["encrypt", "decrypt"],
    );
    const spki = new Uint8Array(
      await crypto.subtle.exportKey("spki", pair.publicKey),
    );
    assert.equal(spki.length, 162);
    const { status, body } = await call(`${api.url}/key`, {
      token: registered.body.token as string,
      json: { publicKey: toBase64(spki) },
    });
    assert.equal(status, 200);
    assert.equal(body.clientId, registered.body.clientId);
    assert.equal(body.oaepHash, "sha1");
    const aesKey = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "RSA-OAEP" },
        pair.privateKey,
        fromBase64(body.encryptedKey as string),
      ),
    );
    const stored = api.db.clients.byName("carol")!;
    assert.deepEqual(aesKey, stored.aesKey);
    assert.deepEqual(stored.publicKey, spki);
  } finally {
    await api.close();
  }
});

Deno.test("send key refuses keys that are not 1024-bit RSA SPKI with 400 invalid_public_key", async () => {
  const api = await startApi();
  try {
    const registered = await call(`${api.url}/register`, {
      json: { name: "dave" },
    });
    const token = registered.body.token as string;
    const big = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "der" },
      privateKeyEncoding: { type: "pkcs8", format: "der" },
    }).publicKey;
    const garbage = new Uint8Array(160).fill(7);
    for (
      const publicKey of [
        "not base64!",
        toBase64(new Uint8Array(100)),
        toBase64(big),
        toBase64(garbage),
        undefined,
      ]
    ) {
      const { status, body } = await call(`${api.url}/key`, {
        token,
        json: { publicKey },
      });
      assert.equal(status, 400);
      assert.equal(body.code, "invalid_public_key");
    }
    // The session is still usable after refusals.
    const keys = generateKeyPair();
    const ok = await call(`${api.url}/key`, {
      token,
      json: { publicKey: toBase64(keys.publicKey) },
    });
    assert.equal(ok.status, 200);
  } finally {
    await api.close();
  }
});

Deno.test("send key needs a live session token (401)", async () => {
  const api = await startApi();
  try {
    const publicKey = toBase64(generateKeyPair().publicKey);
    const none = await call(`${api.url}/key`, { json: { publicKey } });
    assert.equal(none.status, 401);
    assert.equal(none.body.code, "token_required");
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
    const wrong = await call(`${api.url}/key`, {
      token: "A".repeat(43),
      json: { publicKey },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, "session_expired");
  } finally {
    await api.close();
  }
});

Deno.test("reconnect gives a new AES key encrypted to the stored public key", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "erin");
    const { status, body } = await call(`${api.url}/reconnect`, {
      json: { name: "erin", clientId: client.clientId },
    });
    assert.equal(status, 200);
    assert.notEqual(body.token, client.token);
    const aesKey = decryptKey(
      client.privateKey,
      fromBase64(body.encryptedKey as string),
    );
    assert.equal(aesKey.length, 32);
    assert.notDeepEqual(aesKey, client.aesKey);
    assert.deepEqual(aesKey, api.db.clients.byName("erin")!.aesKey);
  } finally {
    await api.close();
  }
});

Deno.test("reconnect is rejected with 403 for a wrong id, an unknown name or no key on file", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "frank");
    const keyless = await call(`${api.url}/register`, {
      json: { name: "grace" },
    });
    const cases = [
      { name: "frank", clientId: "0".repeat(32) },
      { name: "nobody", clientId: client.clientId },
      { name: "grace", clientId: keyless.body.clientId },
    ];
    for (const json of cases) {
      const { status, body } = await call(`${api.url}/reconnect`, { json });
      assert.equal(status, 403, JSON.stringify(json));
      assert.equal(body.code, "reconnect_rejected");
    }
    const bad = await call(`${api.url}/reconnect`, {
      json: { name: "frank", clientId: "xyz" },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "invalid_client_id");
    assert.equal(api.api.sessions.size, 2, "rejections keep no session");
  } finally {
    await api.close();
  }
});

Deno.test("a client registered over HTTP has the id the database holds", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "heidi");
    const record = api.db.clients.byId(idBytes(client.clientId));
    assert.equal(record?.name, "heidi");
  } finally {
    await api.close();
  }
});

Deno.test("a cross-origin or text/plain JSON POST is refused and registers nobody", async () => {
  const api = await startApi();
  try {
    // What a foreign page can send through a visitor's browser without a preflight.
    const plain = await call(`${api.url}/register`, {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8" },
      body: JSON.stringify({ name: "victim-plain" }),
    });
    assert.equal(plain.status, 415);
    assert.equal(plain.body.code, "unsupported_media_type");
    const foreign = await call(`${api.url}/register`, {
      headers: { origin: "https://evil.example" },
      json: { name: "victim-origin" },
    });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.code, "forbidden_origin");
    const own = await call(`${api.url}/register`, {
      headers: { origin: new URL(api.url).origin },
      json: { name: "same-origin" },
    });
    assert.equal(own.status, 201, "the server's own origin is welcome");
    assert.equal(
      api.api.sessions.size,
      1,
      "only the same-origin call opened a session",
    );
  } finally {
    await api.close();
  }
});
