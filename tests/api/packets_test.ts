/** File packets and checksum verdicts over the JSON API. */
import assert from "node:assert/strict";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import {
  backUp,
  call,
  idBytes,
  randomBytes,
  registerClient,
  sendPacket,
  startApi,
  uploadData,
} from "./fixture.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

Deno.test("a file sent in packets is decrypted, checksummed and stored once verified", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "alice");
    const data = randomBytes(300_000 + 5);
    const received = await uploadData(api.url, client, "report.bin", data);
    assert.equal(received.status, 200);
    assert.deepEqual(received.body, {
      fileName: "report.bin",
      size: data.length,
      checksum: cksum(data),
    });
    const id = idBytes(client.clientId);
    assert.equal(api.db.files.of(id, "report.bin"), undefined, "not before OK");
    const ok = await call(`${api.url}/checksum/ok`, {
      token: client.token,
      json: { fileName: "report.bin" },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { fileName: "report.bin", verified: true });
    const record = api.db.files.of(id, "report.bin");
    assert.equal(record?.verified, true);
    assert.equal(record?.checksum, cksum(data));
    assertBytesEqual(
      await Deno.readFile(api.store.pathOf(id, "report.bin")),
      data,
    );
    const [transfer] = api.db.transfers.list({ client: id }).rows;
    assert.equal(transfer.transport, "http");
    assert.equal(transfer.outcome, "verified");
  } finally {
    await api.close();
  }
});

Deno.test("an empty file is one packet of 16 bytes", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "bob");
    const checksum = await backUp(api.url, client, "empty", new Uint8Array(0));
    assert.equal(checksum, 4294967295);
    const path = api.store.pathOf(idBytes(client.clientId), "empty");
    assert.equal((await Deno.stat(path)).size, 0);
  } finally {
    await api.close();
  }
});

Deno.test("intermediate packets are answered 202 with the packet accepted", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "carol");
    const data = randomBytes(40);
    const cipher = encrypt(client.aesKey, data) as Uint8Array<ArrayBuffer>;
    const first = await sendPacket(api.url, client, {
      file: "a.txt",
      packet: 1,
      total: 2,
      size: 40,
      content: cipher.slice(0, 32),
    });
    assert.equal(first.status, 202);
    assert.deepEqual(first.body, {
      fileName: "a.txt",
      packet: 1,
      totalPackets: 2,
    });
    const last = await sendPacket(api.url, client, {
      file: "a.txt",
      packet: 2,
      total: 2,
      size: 40,
      content: cipher.slice(32),
    });
    assert.equal(last.status, 200);
    assert.equal(last.body.checksum, cksum(data));
  } finally {
    await api.close();
  }
});

Deno.test("a packet before the key exchange is 409 no_key", async () => {
  const api = await startApi();
  try {
    const registered = await call(`${api.url}/register`, {
      json: { name: "frank" },
    });
    const answer = await sendPacket(api.url, {
      token: registered.body.token as string,
    }, {
      file: "a",
      packet: 1,
      total: 1,
      size: 0,
      content: new Uint8Array(16),
    });
    assert.equal(answer.status, 409);
    assert.equal(answer.body.code, "no_key");
  } finally {
    await api.close();
  }
});

Deno.test("an out-of-sequence packet is 409 and leaves the upload going", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "grace");
    const data = randomBytes(96);
    const cipher = encrypt(client.aesKey, data) as Uint8Array<ArrayBuffer>;
    const packet = (n: number) =>
      sendPacket(api.url, client, {
        file: "s.bin",
        packet: n,
        total: 4,
        size: 96,
        content: cipher.slice((n - 1) * 32, n * 32 + (n === 4 ? 16 : 0)),
      });
    assert.equal((await packet(1)).status, 202);
    const skipped = await packet(3);
    assert.equal(skipped.status, 409);
    assert.equal(skipped.body.code, "out_of_sequence");
    assert.match(skipped.body.message as string, /expected packet 2 of 4/);
    assert.equal((await packet(2)).status, 202);
    assert.equal((await packet(3)).status, 202);
    const last = await packet(4);
    assert.equal(last.status, 200);
    assert.equal(last.body.checksum, cksum(data));
    const stray = await sendPacket(api.url, client, {
      file: "other",
      packet: 2,
      total: 2,
      size: 16,
      content: new Uint8Array(16),
    });
    assert.equal(stray.body.code, "out_of_sequence");
  } finally {
    await api.close();
  }
});

Deno.test("size limits: a file over the maximum and a packet over the maximum are 413", async () => {
  const api = await startApi({ maxFileBytes: 1000, maxPacketBytes: 267 + 64 });
  try {
    const client = await registerClient(api.url, "heidi");
    const tooBig = await sendPacket(api.url, client, {
      file: "big",
      packet: 1,
      total: 1,
      size: 1001,
      content: new Uint8Array(1008),
    });
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.body.code, "file_too_large");
    const packet = await sendPacket(api.url, client, {
      file: "p",
      packet: 1,
      total: 1,
      size: 100,
      content: new Uint8Array(112),
    });
    assert.equal(packet.status, 413);
    assert.equal(packet.body.code, "packet_too_large");
    const info = await call(`${api.url}/info`);
    assert.equal(info.body.maxPacketBytes, 64);
  } finally {
    await api.close();
  }
});

Deno.test("bad packet fields are 400 invalid_packet or invalid_file_name", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "ivan");
    const content = new Uint8Array(16);
    const cases: [Record<string, string>, string][] = [
      [{ file: "a", packet: "0", total: "1", size: "0" }, "invalid_packet"],
      [{ file: "a", packet: "2", total: "1", size: "0" }, "invalid_packet"],
      [{ file: "a", packet: "1", total: "70000", size: "0" }, "invalid_packet"],
      [{ file: "a", packet: "1", total: "1", size: "-1" }, "invalid_packet"],
      [{ file: "a", packet: "1", total: "1" }, "invalid_packet"],
      [
        { file: "a", packet: "1", total: "1", size: "0", contentSize: "32" },
        "invalid_packet",
      ],
      [
        { file: "a/b", packet: "1", total: "1", size: "0" },
        "invalid_file_name",
      ],
      [
        { file: "con.txt", packet: "1", total: "1", size: "0" },
        "invalid_file_name",
      ],
      [{ file: "", packet: "1", total: "1", size: "0" }, "invalid_file_name"],
    ];
    for (const [query, code] of cases) {
      const { status, body } = await call(
        `${api.url}/packet?${new URLSearchParams(query)}`,
        { token: client.token, method: "POST", body: content },
      );
      assert.equal(status, 400, JSON.stringify(query));
      assert.equal(body.code, code, JSON.stringify(query));
    }
  } finally {
    await api.close();
  }
});

Deno.test("a body shorter or longer than its length is 400 length_mismatch and drops the upload", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "judy");
    const data = randomBytes(64);
    const cipher = encrypt(client.aesKey, data) as Uint8Array<ArrayBuffer>;
    const cases = [
      // One packet announced as 80 bytes that brings 64.
      { total: 1, length: 80, body: cipher.slice(0, 64) },
      // The first of two packets announced as 32 bytes that brings 48.
      { total: 2, length: 32, body: cipher.slice(0, 48) },
    ];
    for (const { total, length, body } of cases) {
      const { status, body: answer } = await call(
        `${api.url}/packet?${new URLSearchParams({
          file: "l.bin",
          packet: "1",
          total: String(total),
          size: "64",
          length: String(length),
        })}`,
        {
          token: client.token,
          method: "POST",
          // A stream has no Content-Length, so `length` alone says how much.
          body: ReadableStream.from([body]),
        },
      );
      assert.equal(status, 400);
      assert.equal(answer.code, "length_mismatch");
    }
    const id = idBytes(client.clientId);
    const transfers = api.db.transfers.list({ client: id }).rows;
    assert.ok(transfers.every((t) => t.outcome === "aborted"));
    // The session goes on: the right body is accepted.
    const ok = await uploadData(api.url, client, "l.bin", data);
    assert.equal(ok.status, 200);
  } finally {
    await api.close();
  }
});

Deno.test("a streamed body without any length is 411 length_required", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "kim");
    const { status, body } = await call(
      `${api.url}/packet?file=a&packet=1&total=1&size=0`,
      {
        token: client.token,
        method: "POST",
        body: ReadableStream.from([new Uint8Array(16)]),
      },
    );
    assert.equal(status, 411);
    assert.equal(body.code, "length_required");
  } finally {
    await api.close();
  }
});

Deno.test("ciphertext made with another key is 400 upload_rejected", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "leo");
    const data = randomBytes(1000);
    const wrong = { ...client, aesKey: randomBytes(32) };
    const answer = await uploadData(api.url, wrong, "w.bin", data);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, "upload_rejected");
    assert.match(answer.body.message as string, /start again with packet 1/);
  } finally {
    await api.close();
  }
});

Deno.test("starting another file mid-upload drops both, as over TCP, and says so", async () => {
  const api = await startApi();
  try {
    const client = await registerClient(api.url, "omar");
    const data = randomBytes(64);
    const cipher = encrypt(client.aesKey, data) as Uint8Array<ArrayBuffer>;
    const first = await sendPacket(api.url, client, {
      file: "a.bin",
      packet: 1,
      total: 2,
      size: 64,
      content: cipher.slice(0, 48),
    });
    assert.equal(first.status, 202);
    const other = await sendPacket(api.url, client, {
      file: "b.bin",
      packet: 1,
      total: 1,
      size: 64,
      content: cipher,
    });
    assert.equal(other.status, 409);
    assert.equal(other.body.code, "out_of_sequence");
    assert.match(
      other.body.message as string,
      /"a\.bin" was still being uploaded/,
    );
    const rest = await sendPacket(api.url, client, {
      file: "a.bin",
      packet: 2,
      total: 2,
      size: 64,
      content: cipher.slice(48),
    });
    assert.equal(rest.status, 409, "a.bin was dropped too");
    const retry = await uploadData(api.url, client, "b.bin", data);
    assert.equal(retry.status, 200);
  } finally {
    await api.close();
  }
});
