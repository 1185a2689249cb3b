/**
 * The restore extension in the session core: the key proof gates list and
 * fetch, binds to the session's current key, and a proven session sees
 * only its own client's versions.
 */
import assert from "node:assert/strict";
import { keyProofTag } from "../../server/crypto/restore_keys.ts";
import { StreamOpener } from "../../server/crypto/sealed_stream.ts";
import {
  RequestCode,
  ResponseCode,
  RestoreRequestCode,
  RestoreResponseCode,
  Size,
} from "../../server/protocol/constants.ts";
import {
  decodeFetchMeta,
  decodeVersionRecords,
  RefusalReason,
  type RestoreRequest,
} from "../../server/protocol/restore_codec.ts";
import type { Session } from "../../server/session/session.ts";
import { fixture, keyed, oneFile } from "./fixture.ts";

type Client = { session: Session; clientId: Uint8Array; key: Uint8Array };

function prove(client: Client, key = client.key) {
  return client.session.restore({
    code: RestoreRequestCode.PROVE_KEY,
    clientId: client.clientId,
    proof: keyProofTag(key, client.clientId),
  });
}

/** Runs a list or fetch and opens every frame; the plaintexts in order. */
async function streamed(client: Client, request: RestoreRequest) {
  const answer = await client.session.restore(request);
  if (answer.response.code !== RestoreResponseCode.STREAM_BEGIN) {
    return { response: answer.response, plains: [] };
  }
  const opener = new StreamOpener({
    aesKey: client.key,
    salt: answer.response.salt,
    request,
  });
  const plains: Uint8Array[] = [];
  for await (const frame of answer.frames!) {
    plains.push(opener.open(frame.subarray(Size.RESPONSE_HEADER)).plain);
  }
  answer.close?.();
  assert.ok(opener.ended);
  return { response: answer.response, plains };
}

Deno.test("restore: list and fetch get 1607 until the session proves its key, then serve", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    const doc = oneFile(alice, "doc.txt");
    await doc.send("first");
    await doc.verdict();
    await doc.send("second!");
    await doc.verdict();
    const list: RestoreRequest = {
      code: RestoreRequestCode.LIST,
      clientId: alice.clientId,
    };
    assert.equal(
      (await alice.session.restore(list)).response.code,
      ResponseCode.SERVER_ERROR,
    );
    assert.equal(
      (await prove(alice)).response.code,
      RestoreResponseCode.KEY_PROVEN,
    );
    const { plains } = await streamed(alice, list);
    assert.deepEqual(
      plains.flatMap(decodeVersionRecords).map((r) => [r.number, r.size]),
      [[1, 5], [2, 7]],
    );
    const fetch: RestoreRequest = {
      code: RestoreRequestCode.FETCH,
      clientId: alice.clientId,
      fileName: "doc.txt",
      version: 1,
      offset: 2,
    };
    const got = await streamed(alice, fetch);
    assert.equal(decodeFetchMeta(got.plains[0]).size, 5);
    assert.equal(new TextDecoder().decode(got.plains[1]), "rst");
    await alice.session.close();
  } finally {
    await f.close();
  }
});

Deno.test("restore: a reconnect by someone without the private key proves nothing and learns nothing", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    const doc = oneFile(alice, "doc.txt");
    await doc.send("private");
    await doc.verdict();
    // The intruder knows name and id, reconnects (1605), but cannot open
    // the key: it guesses one.
    const intruder = await keyed(f.ctx, "alice", alice.clientId);
    const guess = crypto.getRandomValues(new Uint8Array(32));
    const wrong = await prove({ ...intruder, key: guess });
    assert.equal(wrong.response.code, ResponseCode.SERVER_ERROR);
    // No second guess, not even the right key, on that session.
    assert.equal(
      (await prove(intruder)).response.code,
      ResponseCode.SERVER_ERROR,
    );
    for (
      const request of [
        { code: RestoreRequestCode.LIST, clientId: alice.clientId },
        {
          code: RestoreRequestCode.FETCH,
          clientId: alice.clientId,
          fileName: "missing.txt",
          version: 0,
          offset: 0,
        },
      ] as RestoreRequest[]
    ) {
      const answer = await intruder.session.restore(request);
      // 1607 whether or not the name exists: nothing to learn.
      assert.equal(answer.response.code, ResponseCode.SERVER_ERROR);
      assert.equal(answer.frames, undefined);
    }
    await intruder.session.close();
    await alice.session.close();
  } finally {
    await f.close();
  }
});

Deno.test("restore: a proof holds only for the key it was made with; a new reconnect needs a new one", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    await prove(alice);
    const again = await alice.session.handle({
      code: RequestCode.RECONNECT,
      clientId: alice.clientId,
      name: "alice",
    });
    assert.equal(again?.code, ResponseCode.RECONNECT_OK);
    const list = await alice.session.restore({
      code: RestoreRequestCode.LIST,
      clientId: alice.clientId,
    });
    assert.equal(list.response.code, ResponseCode.SERVER_ERROR);
    assert.match(list.refusal?.message ?? "", /not proven/);
    await alice.session.close();
  } finally {
    await f.close();
  }
});

Deno.test("restore: a proven session sees only its own client's names; a missing one or version is 2103", async () => {
  const f = await fixture();
  try {
    const alice = await keyed(f.ctx, "alice");
    const secret = oneFile(alice, "secret.txt");
    await secret.send("alice's");
    await secret.verdict();
    const bob = await keyed(f.ctx, "bob");
    await prove(bob);
    const fetch = (client: Client, version: number) =>
      client.session.restore({
        code: RestoreRequestCode.FETCH,
        clientId: client.clientId,
        fileName: "secret.txt",
        version,
        offset: 0,
      });
    const foreign = await fetch(bob, 0);
    assert.equal(foreign.response.code, RestoreResponseCode.REFUSED);
    if (foreign.response.code !== RestoreResponseCode.REFUSED) return;
    assert.equal(foreign.response.reason, RefusalReason.NO_SUCH_FILE);
    const { plains } = await streamed(bob, {
      code: RestoreRequestCode.LIST,
      clientId: bob.clientId,
    });
    assert.deepEqual(plains.flatMap(decodeVersionRecords), []);
    // Bob cannot ask in Alice's name either: the id must be the session's.
    const asAlice = await bob.session.restore({
      code: RestoreRequestCode.LIST,
      clientId: alice.clientId,
    });
    assert.equal(asAlice.response.code, ResponseCode.SERVER_ERROR);
    await prove(alice);
    const noVersion = await fetch(alice, 7);
    assert.equal(noVersion.response.code, RestoreResponseCode.REFUSED);
    if (noVersion.response.code !== RestoreResponseCode.REFUSED) return;
    assert.equal(noVersion.response.reason, RefusalReason.NO_SUCH_VERSION);
    await alice.session.close();
    await bob.session.close();
  } finally {
    await f.close();
  }
});
