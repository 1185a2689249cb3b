/**
 * The protocol server end to end: a real process on loopback, raw frames,
 * the SQLite file and the stored files checked directly.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { decryptKey, generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { toHex } from "../../shared/encoding.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import {
  clientDir,
  confirmChecksum,
  RawClient,
  registerClient,
  startServer,
  uploadFile,
  waitUntil,
} from "./harness.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65536)));
  }
  return bytes;
}

function readDb<T>(
  dataDir: string,
  sql: string,
  ...params: (string | Uint8Array)[]
): T[] {
  const db = new DatabaseSync(`${dataDir}/defensive.db`, { readOnly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

Deno.test("a client registers, uploads 5 MiB in many packets, verifies, and reconnects after a restart", async () => {
  let server = await startServer();
  try {
    const data = randomBytes(5 * 1024 * 1024 + 7);
    const client = await registerClient(server.port, "alice");
    const received = await uploadFile(client, "photo.raw", data, 100_000);
    assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
    if (received?.code !== ResponseCode.FILE_RECEIVED) return;
    assert.equal(received.checksum, cksum(data));
    assert.equal(received.contentSize, data.length);
    assert.equal(received.fileName, "photo.raw");
    const ack = await confirmChecksum(client, "photo.raw");
    assert.equal(ack?.code, ResponseCode.ACK);
    client.raw.close();

    const stored = await Deno.readFile(
      `${clientDir(server, client.clientId)}/photo.raw`,
    );
    assertBytesEqual(stored, data);
    const [file] = readDb<{ Verified: number; PathName: string }>(
      server.dataDir,
      "SELECT Verified, PathName FROM files WHERE ID = ? AND FileName = ?",
      client.clientId,
      "photo.raw",
    );
    assert.equal(file.Verified, 1);
    const alice = () =>
      readDb<
        { PublicKey: Uint8Array; LastSeen: string; AESKey: Uint8Array | null }
      >(
        server.dataDir,
        "SELECT PublicKey, LastSeen, AESKey FROM clients WHERE Name = 'alice'",
      )[0];
    // The session key is not left on disk once its session has ended.
    await waitUntil(() => alice().AESKey === null, "the AES key cleared");
    const row = alice();
    assert.equal(row.PublicKey.length, 160);
    assert.ok(Date.now() - Date.parse(row.LastSeen) < 60_000);

    assert.equal((await server.stop()).code, 0);
    server = await startServer({ dataDir: server.dataDir });
    const again = await RawClient.connect(server.port);
    const reconnected = await again.request({
      code: RequestCode.RECONNECT,
      clientId: client.clientId,
      name: "alice",
    });
    assert.equal(reconnected?.code, ResponseCode.RECONNECT_OK);
    if (reconnected?.code !== ResponseCode.RECONNECT_OK) return;
    const aesKey = decryptKey(client.privateKey, reconnected.encryptedKey);
    const second = randomBytes(1000);
    const answer = await uploadFile(
      { ...client, raw: again, aesKey },
      "notes.txt",
      second,
    );
    assert.equal(answer?.code, ResponseCode.FILE_RECEIVED);
    again.close();
  } finally {
    await server.stop();
  }
});

Deno.test("a taken name gets 1601, an unknown reconnect 1606, a key before registration 1607", async () => {
  const server = await startServer();
  try {
    const alice = await registerClient(server.port, "alice");
    alice.raw.close();
    const raw = await RawClient.connect(server.port);
    const taken = await raw.request({
      code: RequestCode.REGISTER,
      clientId: new Uint8Array(16),
      name: "alice",
    });
    assert.equal(taken?.code, ResponseCode.REGISTER_FAILED);
    const unknownId = crypto.getRandomValues(new Uint8Array(16));
    const rejected = await raw.request({
      code: RequestCode.RECONNECT,
      clientId: unknownId,
      name: "nobody",
    });
    assert.equal(rejected?.code, ResponseCode.RECONNECT_REJECTED);
    if (rejected?.code === ResponseCode.RECONNECT_REJECTED) {
      assert.deepEqual(rejected.clientId, unknownId);
    }
    const early = await raw.request({
      code: RequestCode.SEND_FILE,
      clientId: unknownId,
      contentSize: 16,
      origFileSize: 3,
      packetNumber: 1,
      totalPackets: 1,
      fileName: "x.txt",
      content: new Uint8Array(16),
    });
    assert.equal(early?.code, ResponseCode.SERVER_ERROR);
    const verdict = await raw.request({
      code: RequestCode.CRC_OK,
      clientId: unknownId,
      fileName: "never-sent.txt",
    });
    assert.equal(verdict?.code, ResponseCode.SERVER_ERROR);
    // After 1606 the client registers again under a new name and succeeds.
    const fresh = await registerClient(server.port, "alice-2");
    fresh.raw.close();
    raw.close();
  } finally {
    await server.stop();
  }
});

Deno.test("three bad checksums end with 1031 and leave the earlier verified copy intact", async () => {
  const server = await startServer();
  try {
    const client = await registerClient(server.port, "bob");
    const v1 = randomBytes(300_000);
    await uploadFile(client, "db.bak", v1);
    await confirmChecksum(client, "db.bak");
    const v2 = randomBytes(250_000);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const received = await uploadFile(client, "db.bak", v2);
      assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
      if (attempt < 3) {
        // 1030 gets no answer: the client resends at once.
        await client.raw.send({
          code: RequestCode.CRC_RETRY,
          clientId: client.clientId,
          fileName: "db.bak",
        });
      }
    }
    const ack = await client.raw.request({
      code: RequestCode.CRC_ABORT,
      clientId: client.clientId,
      fileName: "db.bak",
    });
    assert.equal(ack?.code, ResponseCode.ACK);
    client.raw.close();
    const dir = clientDir(server, client.clientId);
    assertBytesEqual(await Deno.readFile(`${dir}/db.bak`), v1);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["db.bak"]);
    const [file] = readDb<{ Verified: number; Checksum: number }>(
      server.dataDir,
      "SELECT Verified, Checksum FROM files WHERE FileName = 'db.bak'",
    );
    assert.equal(file.Verified, 1);
    assert.equal(file.Checksum, cksum(v1));
    const transfers = readDb<{ Outcome: string; Attempts: number }>(
      server.dataDir,
      "SELECT Outcome, Attempts FROM transfers ORDER BY TransferID",
    );
    assert.deepEqual(transfers.map((t) => [t.Outcome, t.Attempts]), [
      ["verified", 1],
      ["failed", 3],
    ]);
  } finally {
    await server.stop();
  }
});

Deno.test("hostile file names are refused and nothing is written outside the client's folder", async () => {
  const server = await startServer();
  try {
    const client = await registerClient(server.port, "mallory");
    for (
      const name of ["../../etc/passwd", "a/b", "..", "", ".", "a\\b", "CON"]
    ) {
      const answer = await uploadFile(client, name, new Uint8Array([1, 2, 3]));
      assert.equal(answer?.code, ResponseCode.SERVER_ERROR, `name "${name}"`);
    }
    // The session still works afterwards.
    const ok = await uploadFile(client, "fine.txt", new Uint8Array([1, 2, 3]));
    assert.equal(ok?.code, ResponseCode.FILE_RECEIVED);
    client.raw.close();
    const entries = [];
    for await (const e of Deno.readDir(`${server.dataDir}/received_files`)) {
      if (e.name !== ".tmp") entries.push(e.name);
    }
    assert.equal(entries.length, 1);
    await assert.rejects(() => Deno.stat(`${server.dataDir}/etc`));
  } finally {
    await server.stop();
  }
});

/** Sends raw bytes and returns the first response code, or "closed". */
async function answerTo(
  port: number,
  bytes: Uint8Array,
  options: { hangUp?: boolean } = {},
): Promise<number | "closed"> {
  const raw = await RawClient.connect(port);
  try {
    await raw.write(bytes);
    if (options.hangUp) await raw.conn.closeWrite();
    const response = await raw.read();
    return response?.code ?? "closed";
  } catch {
    return "closed";
  } finally {
    raw.close();
  }
}

function header(code: number, payloadSize: number, version = 3): Uint8Array {
  const bytes = new Uint8Array(23);
  const view = new DataView(bytes.buffer);
  view.setUint8(16, version);
  view.setUint16(17, code, true);
  view.setUint32(19, payloadSize, true);
  return bytes;
}

function frame(code: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(23 + payload.length);
  bytes.set(header(code, payload.length));
  bytes.set(payload, 23);
  return bytes;
}

Deno.test("malformed frames get 1607 or a closed connection and the server keeps serving", async () => {
  const server = await startServer();
  try {
    const noNul = new Uint8Array(255).fill(0x41);
    const nonAscii = new Uint8Array(255);
    nonAscii.set([0x61, 0xff, 0x62]);
    const control = new Uint8Array(255);
    control.set([0x61, 0x1b, 0x62]);
    const cases: [string, Uint8Array][] = [
      ["unknown code", frame(4242, new Uint8Array(255))],
      ["wrong payload size", frame(RequestCode.REGISTER, new Uint8Array(10))],
      ["name without NUL", frame(RequestCode.REGISTER, noNul)],
      ["non-ASCII name", frame(RequestCode.REGISTER, nonAscii)],
      ["control character in name", frame(RequestCode.RECONNECT, control)],
      ["4 GiB payload", header(RequestCode.SEND_FILE, 0xffffffff)],
      ["unsupported version", header(RequestCode.REGISTER, 255, 77)],
    ];
    for (const [what, bytes] of cases) {
      const answer = await answerTo(server.port, bytes);
      assert.ok(
        answer === ResponseCode.SERVER_ERROR || answer === "closed",
        `${what}: got ${answer}`,
      );
    }
    // A header cut short by the client's hang-up closes the connection.
    assert.equal(
      await answerTo(server.port, new Uint8Array(10), { hangUp: true }),
      "closed",
    );
    const client = await registerClient(server.port, "after-the-storm");
    const data = randomBytes(70_000);
    const received = await uploadFile(client, "ok.bin", data);
    assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
    client.raw.close();
  } finally {
    await server.stop();
  }
});

Deno.test("20 clients uploading at once all verify, and an idle connection is dropped", async () => {
  const server = await startServer({ args: ["--idle-timeout", "1500ms"] });
  try {
    const idle = await RawClient.connect(server.port);
    // One key pair made before connecting: twenty made while the first
    // connections wait could outlast the 1.5 s idle timeout on a busy machine.
    const keys = generateKeyPair();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const client = await registerClient(server.port, `client-${i}`, keys);
        const data = randomBytes(200_000 + i * 1000);
        const received = await uploadFile(
          client,
          `file-${i}.bin`,
          data,
          32 * 1024,
        );
        const ack = await confirmChecksum(client, `file-${i}.bin`);
        client.raw.close();
        return received?.code === ResponseCode.FILE_RECEIVED &&
          received.checksum === cksum(data) && ack?.code === ResponseCode.ACK;
      }),
    );
    assert.deepEqual(results, Array(20).fill(true));
    assert.equal(
      await idle.read(),
      null,
      "idle connection closed by the server",
    );
    assert.ok(Date.now() - started >= 1000);
    idle.close();
    const [{ n }] = readDb<{ n: number }>(
      server.dataDir,
      "SELECT COUNT(*) AS n FROM files WHERE Verified = 1",
    );
    assert.equal(n, 20);
  } finally {
    await server.stop();
  }
});

Deno.test("a key cannot be set from another session, and a registration awaiting its key exchange keeps its name from a second 1025 but not from its own id", async () => {
  const server = await startServer();
  try {
    const first = await RawClient.connect(server.port);
    const registered = await first.request({
      code: RequestCode.REGISTER,
      clientId: new Uint8Array(16),
      name: "carol",
    });
    assert.equal(registered?.code, ResponseCode.REGISTER_OK);
    if (registered?.code !== ResponseCode.REGISTER_OK) return;
    first.close();
    const intruder = await RawClient.connect(server.port);
    const refused = await intruder.request({
      code: RequestCode.SEND_PUBLIC_KEY,
      clientId: registered.clientId,
      name: "carol",
      publicKey: generateKeyPair().publicKey,
    });
    assert.equal(refused?.code, ResponseCode.SERVER_ERROR);
    // Re-registering the name between its 1600 and 1026 would hijack it.
    const hijack = await intruder.request({
      code: RequestCode.REGISTER,
      clientId: new Uint8Array(16),
      name: "carol",
    });
    assert.equal(hijack?.code, ResponseCode.REGISTER_FAILED);
    intruder.close();
    // The client itself, registering again under the id it was given (as
    // the classic client does after 1606), gets that id back and goes on.
    const again = await RawClient.connect(server.port);
    const resumed = await again.request({
      code: RequestCode.REGISTER,
      clientId: registered.clientId,
      name: "carol",
    });
    assert.equal(resumed?.code, ResponseCode.REGISTER_OK);
    if (resumed?.code !== ResponseCode.REGISTER_OK) return;
    assert.equal(toHex(resumed.clientId), toHex(registered.clientId));
    const keyed = await again.request({
      code: RequestCode.SEND_PUBLIC_KEY,
      clientId: registered.clientId,
      name: "carol",
      publicKey: generateKeyPair().publicKey,
    });
    assert.equal(keyed?.code, ResponseCode.AES_KEY);
    again.close();
  } finally {
    await server.stop();
  }
});
