import assert from "node:assert/strict";
import {
  BadResponseError,
  ConnectionLostError,
  formatAddress,
  ProtocolClient,
} from "../../client/protocol_client.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";

/** A server that answers the first request with `reply` bytes, then does `then`. */
async function withRawServer(
  reply: Uint8Array | Uint8Array[],
  then: "close" | "wait",
  body: (client: ProtocolClient) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = Promise.withResolvers<void>();
  const serving = (async () => {
    const conn = await listener.accept();
    await conn.read(new Uint8Array(1024));
    for (const part of Array.isArray(reply) ? reply : [reply]) {
      await conn.write(part);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (then === "wait") await done.promise;
    conn.close();
  })();
  const client = await ProtocolClient.connect(
    "127.0.0.1",
    (listener.addr as Deno.NetAddr).port,
    { firstResponseTimeoutMs: 300, responseTimeoutMs: 300 },
  );
  try {
    await body(client);
  } finally {
    client.close();
    done.resolve();
    await serving.catch(() => {});
    listener.close();
  }
}

const register = {
  code: RequestCode.REGISTER,
  clientId: new Uint8Array(16),
  name: "alice",
} as const;

function header(version: number, code: number, size: number): number[] {
  return [
    version,
    code & 0xff,
    code >> 8,
    size & 0xff,
    (size >> 8) & 0xff,
    size >> 16 & 0xff,
    size >>> 24,
  ];
}

Deno.test("ProtocolClient.request() reads one response split across TCP writes", async () => {
  const id = crypto.getRandomValues(new Uint8Array(16));
  const bytes = new Uint8Array([
    ...header(3, ResponseCode.REGISTER_OK, 16),
    ...id,
  ]);
  await withRawServer(
    [bytes.subarray(0, 3), bytes.subarray(3, 8), bytes.subarray(8)],
    "wait",
    async (client) => {
      const response = await client.request(register);
      assert.deepEqual(response, {
        code: ResponseCode.REGISTER_OK,
        clientId: id,
      });
    },
  );
});

Deno.test("ProtocolClient refuses an unknown response code", async () => {
  await withRawServer(
    new Uint8Array(header(3, 1700, 0)),
    "wait",
    async (client) => {
      await assert.rejects(
        client.request(register),
        (e: Error) =>
          e instanceof BadResponseError &&
          /unknown response code 1700/.test(e.message),
      );
      assert.ok(client.closed);
    },
  );
});

Deno.test("ProtocolClient refuses a payload larger than any response", async () => {
  await withRawServer(
    new Uint8Array(header(3, ResponseCode.ACK, 0x7fff_ffff)),
    "wait",
    async (client) => {
      await assert.rejects(
        client.request(register),
        (e: Error) =>
          e instanceof BadResponseError &&
          /payload of 2147483647 bytes exceeds 4096/.test(e.message),
      );
    },
  );
});

Deno.test("ProtocolClient refuses a response with trailing bytes", async () => {
  await withRawServer(
    new Uint8Array([...header(3, ResponseCode.SERVER_ERROR, 2), 0, 0]),
    "wait",
    async (client) => {
      await assert.rejects(client.request(register), BadResponseError);
    },
  );
});

Deno.test("ProtocolClient reports a response cut off by a closed connection as a lost connection", async () => {
  await withRawServer(
    new Uint8Array([...header(3, ResponseCode.ACK, 16), 1, 2, 3]),
    "close",
    async (client) => {
      await assert.rejects(
        client.request(register),
        (e: Error) =>
          e instanceof ConnectionLostError &&
          /closed after 3 of 16 bytes/.test(e.message),
      );
    },
  );
});

Deno.test("ProtocolClient reports a clean close as a lost connection", async () => {
  await withRawServer(new Uint8Array(0), "close", async (client) => {
    await assert.rejects(
      client.request(register),
      (e: Error) =>
        e instanceof ConnectionLostError &&
        /server closed the connection/.test(e.message),
    );
  });
});

Deno.test("ProtocolClient gives up on a silent server after the response timeout", async () => {
  await withRawServer(new Uint8Array(0), "wait", async (client) => {
    const started = performance.now();
    await assert.rejects(
      client.request(register),
      (e: Error) =>
        e instanceof ConnectionLostError &&
        /no answer within 300 ms/.test(e.message),
    );
    assert.ok(performance.now() - started >= 290);
    assert.ok(client.closed);
  });
});

Deno.test("ProtocolClient allows one pending receive at a time", async () => {
  await withRawServer(new Uint8Array(0), "wait", async (client) => {
    const first = client.receive({ deferTimeout: true });
    await assert.rejects(client.receive(), /already awaited/);
    client.close();
    await assert.rejects(first, ConnectionLostError);
    await assert.rejects(client.send(register), /connection closed/);
  });
});

Deno.test("formatAddress() brackets IPv6 addresses", () => {
  assert.equal(formatAddress("::1", 1256), "[::1]:1256");
  assert.equal(formatAddress("example.org", 80), "example.org:80");
});

Deno.test("ProtocolClient.sendBytes() started back to back sends each buffer whole and in order", async () => {
  // Larger than the socket buffers, so writes are partial and two write
  // loops at once would interleave (they did, every time, before the queue).
  const size = 8 * 1024 * 1024;
  const buffers = [0xaa, 0xbb, 0xcc].map((b) => new Uint8Array(size).fill(b));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const receiving = (async () => {
    const conn = await listener.accept();
    const all = new Uint8Array(3 * size);
    let got = 0;
    while (got < all.length) {
      const n = await conn.read(all.subarray(got));
      if (n === null) break;
      got += n;
    }
    conn.close();
    return all.subarray(0, got);
  })();
  const client = await ProtocolClient.connect(
    "127.0.0.1",
    (listener.addr as Deno.NetAddr).port,
  );
  try {
    await Promise.all(buffers.map((bytes) => client.sendBytes(bytes)));
    const received = await receiving;
    assert.equal(received.length, 3 * size);
    buffers.forEach((bytes, i) => {
      const part = received.subarray(i * size, (i + 1) * size);
      assert.ok(part.every((b) => b === bytes[0]), `buffer ${i} arrived whole`);
    });
  } finally {
    client.close();
    listener.close();
  }
});

Deno.test("ProtocolClient.sendBytes() gives up on a server that stops reading without hanging up", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept(); // Accepted, never read.
  const client = await ProtocolClient.connect(
    "127.0.0.1",
    (listener.addr as Deno.NetAddr).port,
    { responseTimeoutMs: 300 },
  );
  const conn = await accepted;
  try {
    // Far more than the socket buffers on both sides hold.
    const started = Date.now();
    await assert.rejects(
      client.sendBytes(new Uint8Array(64 * 1024 * 1024)),
      (error: Error) => {
        assert.ok(error instanceof ConnectionLostError, String(error));
        assert.match(error.message, /took no data for 300 ms/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 10_000);
    assert.equal(client.closed, true);
  } finally {
    client.close();
    conn.close();
    listener.close();
  }
});

Deno.test("ProtocolClient waits less for the first answer on a connection than for later ones", async () => {
  const ack = new Uint8Array([...header(3, 1604, 16), ...new Uint8Array(16)]);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const done = Promise.withResolvers<void>();
  const serving = (async () => {
    // Connection 1 never answers; connection 2 answers at once, then late.
    const silent = await listener.accept();
    const conn = await listener.accept();
    await conn.read(new Uint8Array(1024));
    await conn.write(ack);
    await conn.read(new Uint8Array(1024));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await conn.write(ack);
    await done.promise;
    silent.close();
    conn.close();
  })();
  const options = { firstResponseTimeoutMs: 150, responseTimeoutMs: 1_500 };
  const first = await ProtocolClient.connect("127.0.0.1", port, options);
  const second = await ProtocolClient.connect("127.0.0.1", port, options);
  try {
    const started = performance.now();
    await assert.rejects(first.request(register), /no answer within 150 ms/);
    assert.ok(performance.now() - started < 1_000);
    assert.equal((await second.request(register)).code, ResponseCode.ACK);
    assert.equal((await second.request(register)).code, ResponseCode.ACK);
  } finally {
    first.close();
    second.close();
    done.resolve();
    await serving.catch(() => {});
    listener.close();
  }
});
