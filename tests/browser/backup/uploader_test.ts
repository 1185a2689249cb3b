/**
 * The browser's upload flow (Web Crypto keys, chunked encryption, cksum,
 * verdicts, retries), run under Deno against the real JSON API.
 */
import assert from "node:assert/strict";
import { cksum } from "../../../server/crypto/cksum.ts";
import { BackupApiClient } from "../../../browser/backup/api.ts";
import { Connection } from "../../../browser/backup/connection.ts";
import type { Identity } from "../../../browser/backup/me_info.ts";
import {
  packetPlan,
  type Phase,
  UploadError,
  uploadFile,
} from "../../../browser/backup/uploader.ts";
import {
  type ApiFixture,
  idBytes,
  randomBytes,
  registerClient,
  startApi,
} from "../../api/fixture.ts";
import { assertBytesEqual } from "../../bytes_assert.ts";

async function setUp(
  fixture: ApiFixture,
  name: string,
  fetcher: typeof fetch = fetch,
) {
  const client = new BackupApiClient({ base: fixture.url, fetch: fetcher });
  const info = await client.info();
  let saved: Identity | undefined;
  const connection = await Connection.register(client, {
    name,
    hash: info.oaepHash,
    saved: (identity) => {
      saved = identity;
      return Promise.resolve();
    },
  });
  assert.ok(saved, "the identity is saved before the key exchange");
  return { client, info, connection };
}

/** A fetch that rewrites the checksum of the first `times` final-packet answers. */
function corrupting(times: number): typeof fetch {
  let left = times;
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input).includes("/packet") || response.status !== 200) {
      return response;
    }
    const body = await response.json();
    if (left-- > 0) body.checksum = (body.checksum + 1) >>> 0;
    return new Response(JSON.stringify(body), { status: 200 });
  };
}

Deno.test("a browser identity uploads a file in packets and the server stores the same bytes", async () => {
  const api = await startApi();
  try {
    const { info, connection } = await setUp(api, "alice");
    const data = randomBytes(1024 * 1024 + 5);
    const phases: Phase[] = [];
    const received = await uploadFile(new Blob([data]), "big.bin", {
      connection,
      info,
      packetBytes: 64 * 1024,
      onProgress: (p) => {
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
      },
    });
    assert.equal(received.checksum, cksum(data));
    assert.deepEqual(phases, [
      "connect",
      "encrypt",
      "upload",
      "verify",
      "verified",
    ]);
    const id = idBytes(connection.identity.clientId);
    assert.equal(api.db.files.of(id, "big.bin")?.verified, true);
    assertBytesEqual(
      await Deno.readFile(api.store.pathOf(id, "big.bin")),
      data,
    );
    const stored = api.db.clients.byId(id)!;
    assert.equal(stored.publicKey?.length, 162, "a Web Crypto key");
  } finally {
    await api.close();
  }
});

Deno.test("the saved identity reconnects in a new session and uploads an empty file", async () => {
  const api = await startApi();
  try {
    const { client, info, connection } = await setUp(api, "bob");
    await connection.close();
    const again = new Connection(client, {
      identity: connection.identity,
      hash: info.oaepHash,
    });
    const received = await uploadFile(new Blob([]), "empty", {
      connection: again,
      info,
    });
    assert.equal(received.size, 0);
    assert.equal(received.checksum, cksum(new Uint8Array(0)));
    const history = await again.history();
    assert.deepEqual(history.files.map((f) => f.fileName), ["empty"]);
  } finally {
    await api.close();
  }
});

Deno.test("a checksum mismatch is resent, and three mismatches abort the file", async () => {
  const api = await startApi();
  try {
    const once = await setUp(api, "carol", corrupting(1));
    const attempts: number[] = [];
    await uploadFile(new Blob([randomBytes(5000)]), "once.bin", {
      connection: once.connection,
      info: once.info,
      onProgress: (p) => attempts.push(p.attempt),
    });
    assert.equal(Math.max(...attempts), 2);

    const always = await setUp(api, "dave", corrupting(99));
    const error = await uploadFile(new Blob([randomBytes(5000)]), "bad.bin", {
      connection: always.connection,
      info: always.info,
    }).catch((e) => e);
    assert.ok(error instanceof UploadError);
    assert.equal(error.code, "checksum_mismatch");
    assert.match(error.message, /after 3 tries/);
    const id = idBytes(always.connection.identity.clientId);
    assert.equal(api.db.files.of(id, "bad.bin"), undefined);
    const [transfer] = api.db.transfers.list({ client: id }).rows;
    assert.equal(transfer.outcome, "failed");
    assert.equal(transfer.attempts, 3);
  } finally {
    await api.close();
  }
});

Deno.test("an expired session is reconnected and the file sent again", async () => {
  const api = await startApi();
  try {
    let packets = 0;
    const expiring: typeof fetch = (input, init) => {
      if (String(input).includes("/packet") && ++packets === 3) {
        const token = new Headers(init?.headers).get("authorization")!
          .slice("Bearer ".length);
        const session = api.api.sessions.get(token);
        return api.api.sessions.close(session, "test").then(() =>
          fetch(input, init)
        );
      }
      return fetch(input, init);
    };
    const { info, connection } = await setUp(api, "erin", expiring);
    const data = randomBytes(200_000);
    const received = await uploadFile(new Blob([data]), "e.bin", {
      connection,
      info,
      packetBytes: 32 * 1024,
      retryDelayMs: 1,
    });
    assert.equal(received.checksum, cksum(data));
    const id = idBytes(connection.identity.clientId);
    assertBytesEqual(await Deno.readFile(api.store.pathOf(id, "e.bin")), data);
    const outcomes = api.db.transfers.list({ client: id }).rows
      .map((t) => t.outcome);
    assert.deepEqual(outcomes, ["verified", "aborted"]);
  } finally {
    await api.close();
  }
});

Deno.test("an unreachable server and a too-large file fail with clear messages", async () => {
  const api = await startApi({ maxFileBytes: 100 });
  try {
    let down = false;
    const flaky: typeof fetch = (input, init) =>
      down
        ? Promise.reject(new TypeError("error sending request"))
        : fetch(input, init);
    const { info, connection } = await setUp(api, "frank", flaky);
    const tooLarge = await uploadFile(new Blob([new Uint8Array(101)]), "x", {
      connection,
      info,
    }).catch((e) => e);
    assert.equal(tooLarge.code, "file_too_large");
    assert.match(
      tooLarge.message,
      /too large: 101 B, the server accepts at most 100 B\./,
    );
    // 1025 and 1024 bytes both read "1.00 KiB": the message gives bytes.
    const justOver = await uploadFile(new Blob([new Uint8Array(1025)]), "x", {
      connection,
      info: { ...info, maxFileBytes: 1024 },
    }).catch((e) => e);
    assert.match(
      justOver.message,
      /too large: 1025 bytes, the server accepts at most 1024\./,
    );
    down = true;
    const unreachable = await uploadFile(new Blob([new Uint8Array(10)]), "y", {
      connection,
      info,
      retryDelayMs: 1,
    }).catch((e) => e);
    assert.equal(unreachable.code, "unreachable");
    assert.match(unreachable.message, /Cannot reach the backup server/);
    assert.match(unreachable.message, /gave up after 3 retries/);
  } finally {
    await api.close();
  }
});

Deno.test("a command-line identity (exponent 17) works in the browser flow", async () => {
  const api = await startApi();
  try {
    const cli = await registerClient(api.url, "grace");
    const client = new BackupApiClient({ base: api.url });
    const connection = new Connection(client, {
      identity: {
        name: "grace",
        clientId: cli.clientId,
        privateKey: cli.privateKey as Uint8Array<ArrayBuffer>,
      },
      hash: "sha1",
    });
    const data = randomBytes(777);
    const received = await uploadFile(new Blob([data]), "g.bin", {
      connection,
      info: await client.info(),
    });
    assert.equal(received.checksum, cksum(data));
  } finally {
    await api.close();
  }
});

Deno.test("packetPlan() keeps packets aligned, under the limit and at most 65,535", () => {
  const mib = 1024 * 1024;
  assert.deepEqual(
    packetPlan(0, { packetBytes: 4 * mib, maxPacketBytes: 16 * mib }),
    { packetBytes: 4 * mib, totalPackets: 1 },
  );
  assert.deepEqual(
    packetPlan(4 * mib, { packetBytes: 4 * mib, maxPacketBytes: 16 * mib }),
    { packetBytes: 4 * mib, totalPackets: 1 },
  );
  assert.deepEqual(
    packetPlan(2 * 1024 * mib, { packetBytes: 1000, maxPacketBytes: 16 * mib }),
    { packetBytes: 32784, totalPackets: 65505 },
  );
  assert.equal(
    packetPlan(100, { packetBytes: 4 * mib, maxPacketBytes: 64 + 16 })
      .packetBytes,
    64,
  );
});
