/**
 * Restore through the JSON API: the key proof, the list and the fetch of
 * every version, answered with the protocol's sealed frames and opened here
 * as the browser opens them.
 */
import assert from "node:assert/strict";
import { blake3Hex } from "../../server/crypto/blake3.ts";
import { TagMismatchError } from "../../server/crypto/aes_gcm.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { keyProofTag } from "../../server/crypto/restore_keys.ts";
import { decryptKey } from "../../server/crypto/rsa_oaep.ts";
import { StreamOpener } from "../../server/crypto/sealed_stream.ts";
import {
  RestoreRequestCode,
  RestoreResponseCode,
  Size,
} from "../../server/protocol/constants.ts";
import { ByteReader } from "../../server/protocol/bytes.ts";
import {
  decodeFetchMeta,
  decodeRestoreResponse,
  decodeVersionRecords,
  type RestoreRequest,
} from "../../server/protocol/restore_codec.ts";
import { toBase64Url } from "../../shared/encoding.ts";
import { assertBytesEqual } from "../bytes_assert.ts";
import {
  type ApiClient,
  backUp,
  call,
  idBytes,
  randomBytes,
  registerClient,
  startApi,
} from "./fixture.ts";

function prove(url: string, client: ApiClient, aesKey = client.aesKey) {
  return call(`${url}/restore/proof`, {
    token: client.token,
    json: {
      proof: toBase64Url(keyProofTag(aesKey, idBytes(client.clientId))),
    },
  });
}

/** Splits a body into its frames: [code, payload] each. */
function frames(body: Uint8Array): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  for (let at = 0; at < body.length;) {
    const r = new ByteReader(body.subarray(at, at + Size.RESPONSE_HEADER));
    r.u8();
    const code = r.u16();
    const size = r.u32();
    const start = at + Size.RESPONSE_HEADER;
    out.push([code, body.subarray(start, start + size)]);
    at = start + size;
  }
  return out;
}

/** Opens a stream body: the plaintext of each frame, in order. */
function openStream(
  body: Uint8Array,
  aesKey: Uint8Array,
  request: RestoreRequest,
): Uint8Array[] {
  const [[code, payload], ...rest] = frames(body);
  const begin = decodeRestoreResponse(code, payload);
  assert.equal(begin.code, RestoreResponseCode.STREAM_BEGIN);
  const opener = new StreamOpener({ aesKey, salt: begin.salt, request });
  const plains = rest.map(([frameCode, frame]) => {
    assert.equal(frameCode, RestoreResponseCode.SEALED);
    return opener.open(frame).plain;
  });
  assert.ok(opener.ended, "the stream ends with its final frame");
  return plains;
}

async function fetchBody(url: string, client: ApiClient, query: string) {
  const response = await fetch(`${url}/restore/file?${query}`, {
    headers: { authorization: `Bearer ${client.token}` },
  });
  return {
    status: response.status,
    bytes: new Uint8Array(await response.arrayBuffer()),
  };
}

Deno.test("API restore: every version of a file comes back byte for byte, with its cksum and BLAKE3", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "alice");
    const versions = [
      randomBytes(3 * 1024 * 1024 + 5),
      randomBytes(10),
      new Uint8Array(0),
    ];
    for (const data of versions) await backUp(api.url, client, "doc.bin", data);
    assert.equal((await prove(api.url, client)).status, 200);
    const clientId = idBytes(client.clientId);

    const listed = await fetch(`${api.url}/restore/list`, {
      headers: { authorization: `Bearer ${client.token}` },
    });
    assert.equal(listed.status, 200);
    const records = openStream(
      new Uint8Array(await listed.arrayBuffer()),
      client.aesKey,
      { code: RestoreRequestCode.LIST, clientId },
    ).flatMap(decodeVersionRecords);
    assert.deepEqual(
      records.map((r) => [r.fileName, r.number, r.size, r.checksum]),
      versions.map((data, i) => ["doc.bin", i + 1, data.length, cksum(data)]),
    );

    for (const [i, data] of versions.entries()) {
      const { status, bytes } = await fetchBody(
        api.url,
        client,
        `file=doc.bin&version=${i + 1}`,
      );
      assert.equal(status, 200);
      const [metaPlain, ...content] = openStream(bytes, client.aesKey, {
        code: RestoreRequestCode.FETCH,
        clientId,
        fileName: "doc.bin",
        version: i + 1,
        offset: 0,
      });
      const meta = decodeFetchMeta(metaPlain);
      const restored = new Uint8Array(
        content.reduce((n, c) => n + c.length, 0),
      );
      content.reduce((at, c) => (restored.set(c, at), at + c.length), 0);
      assertBytesEqual(restored, data);
      assert.equal(meta.checksum, cksum(data));
      assert.equal(
        meta.blake3,
        blake3Hex(data),
      );
    }
  } finally {
    await api.close();
  }
});

Deno.test("API restore: a fetch from an offset sends the rest; newest is version 0; beyond the size is 416", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "bea");
    const data = randomBytes(2 * 1024 * 1024 + 100);
    await backUp(api.url, client, "a.bin", randomBytes(7));
    await backUp(api.url, client, "a.bin", data);
    await prove(api.url, client);
    const offset = 1024 * 1024 + 3;
    const { bytes } = await fetchBody(
      api.url,
      client,
      `file=a.bin&offset=${offset}`,
    );
    const [meta, ...content] = openStream(bytes, client.aesKey, {
      code: RestoreRequestCode.FETCH,
      clientId: idBytes(client.clientId),
      fileName: "a.bin",
      version: 0,
      offset,
    });
    assert.equal(decodeFetchMeta(meta).number, 2);
    assertBytesEqual(
      new Uint8Array(content.flatMap((c) => [...c])),
      data.subarray(offset),
    );
    const beyond = await call(
      `${api.url}/restore/file?file=a.bin&offset=${data.length + 1}`,
      {
        token: client.token,
      },
    );
    assert.equal(beyond.status, 416);
    assert.equal(beyond.body.code, "bad_offset");
  } finally {
    await api.close();
  }
});

Deno.test("API restore: nothing before the proof, nothing after a wrong one, and a foreign or missing file is 404", async () => {
  const api = await startApi();
  try {
    const alice = await registerClient(api.url, "alice");
    const bob = await registerClient(api.url, "bob");
    await backUp(api.url, alice, "secret.txt", randomBytes(100));

    const early = await call(`${api.url}/restore/list`, { token: alice.token });
    assert.equal(early.status, 403);
    assert.equal(early.body.code, "not_proven");

    // Bob proves his own key, and still sees nothing of Alice's.
    assert.equal((await prove(api.url, bob)).status, 200);
    const foreign = await call(`${api.url}/restore/file?file=secret.txt`, {
      token: bob.token,
    });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.code, "no_such_file");

    // A session that does not hold Alice's key cannot prove it, and the
    // session is barred afterwards even from the right proof.
    const wrong = await prove(api.url, alice, randomBytes(32));
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.code, "proof_invalid");
    assert.equal((await prove(api.url, alice)).status, 403);
    const after = await call(`${api.url}/restore/file?file=secret.txt`, {
      token: alice.token,
    });
    assert.equal(after.status, 403);

    // A new session of Alice's that proves its key gets the file; a name
    // she never stored and a version she does not have are 404.
    const again = await reconnectAgain(api.url, alice);
    assert.equal((await prove(api.url, again)).status, 200);
    const missing = await call(`${api.url}/restore/file?file=nope.txt`, {
      token: again.token,
    });
    assert.equal(missing.body.code, "no_such_file");
    const noVersion = await call(
      `${api.url}/restore/file?file=secret.txt&version=9`,
      {
        token: again.token,
      },
    );
    assert.equal(noVersion.status, 404);
    assert.equal(noVersion.body.code, "no_such_version");
  } finally {
    await api.close();
  }
});

/** Reconnects a client in a new session, decrypting the new key as its owner. */
async function reconnectAgain(
  url: string,
  client: ApiClient,
): Promise<ApiClient> {
  const answer = await call(`${url}/reconnect`, {
    json: { name: client.name, clientId: client.clientId },
  });
  assert.equal(answer.status, 200);
  const encrypted = Uint8Array.from(
    atob(answer.body.encryptedKey as string),
    (c) => c.charCodeAt(0),
  );
  return {
    ...client,
    token: answer.body.token as string,
    aesKey: decryptKey(client.privateKey, encrypted),
  };
}

Deno.test("API restore: a frame altered in transit fails its tag", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "carl");
    await backUp(api.url, client, "t.bin", randomBytes(5000));
    await prove(api.url, client);
    const { bytes } = await fetchBody(api.url, client, "file=t.bin");
    bytes[bytes.length - 100] ^= 0x01;
    assert.throws(
      () =>
        openStream(bytes, client.aesKey, {
          code: RestoreRequestCode.FETCH,
          clientId: idBytes(client.clientId),
          fileName: "t.bin",
          version: 0,
          offset: 0,
        }),
      TagMismatchError,
    );
  } finally {
    await api.close();
  }
});

Deno.test("API restore: a session streams at most two bodies at once; a third waits for one to end", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "dora");
    // Large enough that neither socket buffers nor fetch hold a whole body.
    await backUp(api.url, client, "big.bin", randomBytes(32 * 1024 * 1024));
    await prove(api.url, client);
    const open = () =>
      fetch(`${api.url}/restore/file?file=big.bin`, {
        headers: { authorization: `Bearer ${client.token}` },
      });
    const first = await open();
    const second = await open();
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    const third = await call(`${api.url}/restore/file?file=big.bin`, {
      token: client.token,
    });
    assert.equal(third.status, 409);
    assert.equal(third.body.code, "session_busy");
    await first.body!.cancel();
    await second.arrayBuffer();
    const fourth = await open();
    assert.equal(fourth.status, 200);
    await fourth.arrayBuffer();
  } finally {
    await api.close();
  }
});
