import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createPublicKey } from "node:crypto";
import { join } from "node:path";
import { runBackup } from "../../client/backup.ts";
import { WORKER_THRESHOLD_BYTES } from "../../client/packet_source.ts";
import { readMeInfo, writeMeInfo } from "../../client/me_info.ts";
import { toHex } from "../../shared/encoding.ts";
import { generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { type FakeOptions, FakeServer } from "./fake_server.ts";
import { clientDir, collectOutput, pattern } from "./helpers.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

const MiB = 1024 * 1024;
const {
  REGISTER,
  SEND_PUBLIC_KEY,
  RECONNECT,
  SEND_FILE,
  CRC_OK,
  CRC_RETRY,
  CRC_ABORT,
} = RequestCode;

/** Runs `body` with a fake server and a client folder, cleaning up after. */
async function scenario(
  fakeOptions: FakeOptions,
  dirOptions: Parameters<typeof clientDir>[1],
  body: (fake: FakeServer, dir: string) => Promise<void>,
): Promise<void> {
  const fake = new FakeServer(fakeOptions);
  const dir = await clientDir(fake.port, dirOptions);
  try {
    await body(fake, dir);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function backup(
  dir: string,
  extra: Partial<Parameters<typeof runBackup>[0]> = {},
) {
  const out = collectOutput();
  return {
    out,
    done: runBackup({ dir, out, retryDelayMs: 5, ...extra }),
  };
}

Deno.test("runBackup() registers, saves me.info, and uploads a multi-packet file the server can decrypt", async () => {
  const data = pattern(2 * MiB + 1000);
  await scenario({}, { files: { "big.bin": data } }, async (fake, dir) => {
    const { out, done } = backup(dir);
    assert.equal(await done, 0, out.errors.join("\n"));
    assert.deepEqual(fake.codes(), [
      REGISTER,
      SEND_PUBLIC_KEY,
      SEND_FILE,
      SEND_FILE,
      SEND_FILE,
      CRC_OK,
    ]);
    const packets = fake.requests.filter((r) => r.packet).map((r) => r.packet!);
    const contentSize = 2 * MiB + 1008;
    assert.deepEqual(
      packets.map((p) => [p.packetNumber, p.totalPackets, p.contentLength]),
      [[1, 3, MiB], [2, 3, MiB], [3, 3, 1008]],
    );
    for (const p of packets) {
      assert.equal(p.contentSize, contentSize);
      assert.equal(p.origFileSize, data.length);
      assert.equal(p.fileName, "big.bin");
    }
    const stored = fake.storedFile("alice", "big.bin")!;
    assertBytesEqual(stored, data);
    assert.equal(cksum(stored), cksum(data));
    const me = await readMeInfo(join(dir, "me.info"));
    assert.equal(me?.name, "alice");
    assert.equal(toHex(me!.clientId), toHex(fake.clients.get("alice")!.id));
    assert.ok(
      out.lines.some((l) => /^Registered as alice \([0-9a-f]{32}\)$/.test(l)),
    );
    assert.ok(
      out.lines.some((l) =>
        /^Verified big\.bin \(2\.00 MiB, cksum \d+\)$/.test(l)
      ),
    );
    const last = out.progressReports.at(-1)!;
    assert.equal(last.sent, data.length);
    assert.equal(last.total, data.length);
  });
});

Deno.test("runBackup() verifies a file large enough to be framed in a worker", async () => {
  const data = pattern(WORKER_THRESHOLD_BYTES + 3 * MiB + 5, 7);
  await scenario({}, { files: { "large.bin": data } }, async (fake, dir) => {
    const { out, done } = backup(dir);
    assert.equal(await done, 0, out.errors.join("\n"));
    assert.equal(fake.codes().at(-1), CRC_OK);
    assertBytesEqual(fake.storedFile("alice", "large.bin"), data);
    assert.ok(
      out.lines.includes(`Verified large.bin (19.0 MiB, cksum ${cksum(data)})`),
      out.lines.join("\n"),
    );
    assert.equal(out.progressReports.at(-1)?.sent, data.length);
  });
});

Deno.test("runBackup() uploads an empty file and several files in one session", async () => {
  const files = {
    "empty.txt": new Uint8Array(0),
    "one.txt": pattern(1),
    "k.bin": pattern(4096),
  };
  await scenario({}, { files }, async (fake, dir) => {
    const { out, done } = backup(dir);
    assert.equal(await done, 0, out.errors.join("\n"));
    assert.equal(fake.connections, 1);
    for (const [name, data] of Object.entries(files)) {
      assertBytesEqual(fake.storedFile("alice", name), data, name);
    }
    assert.ok(out.lines.includes("Backup complete: 3 files verified"));
  });
});

Deno.test("runBackup() reconnects with me.info (1027, 1605) on its second run", async () => {
  await scenario(
    {},
    { files: { "a.txt": pattern(100) } },
    async (fake, dir) => {
      assert.equal(await backup(dir).done, 0);
      const firstId = toHex((await readMeInfo(join(dir, "me.info")))!.clientId);
      await Deno.writeFile(join(dir, "a.txt"), pattern(200, 2));
      fake.requests.length = 0;
      const { out, done } = backup(dir);
      assert.equal(await done, 0, out.errors.join("\n"));
      assert.deepEqual(fake.codes(), [RECONNECT, SEND_FILE, CRC_OK]);
      assert.ok(out.lines.includes(`Reconnected as alice (${firstId})`));
      assertBytesEqual(fake.storedFile("alice", "a.txt"), pattern(200, 2));
    },
  );
});

Deno.test("runBackup() deletes me.info and registers again when the server answers 1606", async () => {
  await scenario({}, { files: { "a.txt": pattern(10) } }, async (fake, dir) => {
    const stale = new Uint8Array(16).fill(0xab);
    await writeMeInfo(join(dir, "me.info"), {
      name: "alice",
      clientId: stale,
      privateKey: generateKeyPair().privateKey,
    });
    const { out, done } = backup(dir);
    assert.equal(await done, 0, out.errors.join("\n"));
    assert.deepEqual(fake.codes(), [
      RECONNECT,
      REGISTER,
      SEND_PUBLIC_KEY,
      SEND_FILE,
      CRC_OK,
    ]);
    const me = await readMeInfo(join(dir, "me.info"));
    assert.notEqual(toHex(me!.clientId), toHex(stale));
    assert.equal(toHex(me!.clientId), toHex(fake.clients.get("alice")!.id));
    assert.ok(out.lines.some((l) => /rejected the reconnect.*1606/.test(l)));
  });
});

Deno.test("runBackup() fails with a clear error when the name is already registered (1601)", async () => {
  await scenario({}, { files: { "a.txt": pattern(10) } }, async (fake, dir) => {
    fake.addClient("alice", new Uint8Array(160));
    const { out, done } = backup(dir);
    assert.equal(await done, 1);
    assert.deepEqual(fake.codes(), [REGISTER]);
    assert.deepEqual(out.errors, [
      'Backup failed: Cannot register "alice": name is already registered or refused by the server (1601). If the name is yours and you lost me.info, ask the administrator to re-key the client in the portal (client page, "Re-key"), write me.info with two lines, the name and the client id the portal shows, and run again',
    ]);
    assert.equal(await readMeInfo(join(dir, "me.info")), undefined);
  });
});

Deno.test("runBackup() resends the file after a checksum mismatch and gives up with 1031 after the third", async () => {
  const mangle: FakeOptions["mangle"] = (response) =>
    response.code === ResponseCode.FILE_RECEIVED
      ? { ...response, checksum: (response.checksum + 1) >>> 0 }
      : response;
  await scenario(
    { mangle },
    { files: { "a.bin": pattern(1500 * 1024) } },
    async (fake, dir) => {
      const { out, done } = backup(dir);
      assert.equal(await done, 1);
      const attempt = [SEND_FILE, SEND_FILE];
      assert.deepEqual(fake.codes(), [
        REGISTER,
        SEND_PUBLIC_KEY,
        ...attempt,
        CRC_RETRY,
        ...attempt,
        CRC_RETRY,
        ...attempt,
        CRC_ABORT,
      ]);
      assert.equal(fake.attempts.length, 3);
      for (const a of fake.attempts) {
        assertBytesEqual(
          a.plain,
          pattern(1500 * 1024),
        );
      }
      assert.equal(fake.stored.size, 0);
      const warnings = out.lines.filter((l) => /does not match/.test(l));
      assert.equal(warnings.length, 3);
      assert.match(
        warnings[0],
        /^warning: Server's copy of .*a\.bin does not match \(attempt 1\): checksum differs \(ours (\d+), server's (?!\1)\d+\)$/,
      );
      assert.match(
        out.errors[0],
        /^Cannot back up .*a\.bin: not verified after 3 attempts: checksum differs \(ours \d+, server's \d+\)$/,
      );
      assert.equal(
        out.errors.at(-1),
        "Backup failed: 1 of 1 files not verified",
      );
    },
  );
});

Deno.test("runBackup() succeeds when a mismatch is followed by a good resend", async () => {
  let lies = 1;
  const mangle: FakeOptions["mangle"] = (response) =>
    response.code === ResponseCode.FILE_RECEIVED && lies-- > 0
      ? { ...response, checksum: (response.checksum ^ 1) >>> 0 }
      : response;
  await scenario(
    { mangle },
    { files: { "a.txt": pattern(50) } },
    async (fake, dir) => {
      assert.equal(await backup(dir).done, 0);
      assert.deepEqual(fake.codes().slice(2), [
        SEND_FILE,
        CRC_RETRY,
        SEND_FILE,
        CRC_OK,
      ]);
    },
  );
});

Deno.test("runBackup() retries an upload the server refused with 1607 and then succeeds", async () => {
  let refusals = 2;
  const intercept: FakeOptions["intercept"] = (request) =>
    request.packet?.packetNumber === 1 && refusals-- > 0
      ? { code: ResponseCode.SERVER_ERROR }
      : undefined;
  const data = pattern(3 * MiB);
  await scenario(
    { intercept },
    { files: { "r.bin": data } },
    async (fake, dir) => {
      const { out, done } = backup(dir);
      assert.equal(await done, 0, out.errors.join("\n"));
      assertBytesEqual(fake.storedFile("alice", "r.bin"), data);
      assert.equal(
        fake.connections,
        1,
        "1607 is retried on the same connection",
      );
      assert.equal(
        out.lines.filter((l) => /1607\); retry \d of 3/.test(l)).length,
        2,
      );
    },
  );
});

Deno.test("runBackup() stops streaming a file when the server refuses its first packet", async () => {
  let refusals = 1;
  const intercept: FakeOptions["intercept"] = (request) =>
    request.packet?.packetNumber === 1 && refusals-- > 0
      ? { code: ResponseCode.SERVER_ERROR }
      : undefined;
  // The fake reads nothing for a while after its 1607, as a busy server might:
  // a client that did not listen would fill the socket buffers and block.
  const afterResponse = (request: { packet?: unknown }) =>
    request.packet ? new Promise<void>((r) => setTimeout(r, 300)) : undefined;
  const data = pattern(32 * MiB);
  await scenario(
    { intercept, afterResponse },
    { files: { "huge.bin": data } },
    async (fake, dir) => {
      const { out, done } = backup(dir);
      assert.equal(await done, 0, out.errors.join("\n"));
      const numbers = fake.requests.filter((r) => r.packet).map((r) =>
        r.packet!.packetNumber
      );
      const restart = numbers.indexOf(1, 1);
      assert.ok(restart > 0);
      assert.ok(restart < 24, `first attempt sent ${restart} of 33 packets`);
      assert.equal(numbers.length - restart, 33);
      assertBytesEqual(fake.storedFile("alice", "huge.bin"), data);
    },
  );
});

Deno.test("runBackup() gives up after 3 retries of 1607 with a clear fatal error", async () => {
  const intercept: FakeOptions["intercept"] = (request) =>
    request.code === SEND_FILE
      ? { code: ResponseCode.SERVER_ERROR }
      : undefined;
  await scenario(
    { intercept },
    { files: { "a.txt": pattern(10) } },
    async (fake, dir) => {
      const { out, done } = backup(dir);
      assert.equal(await done, 1);
      assert.equal(fake.codes().filter((c) => c === SEND_FILE).length, 4);
      assert.equal(out.errors.length, 1);
      assert.match(
        out.errors[0],
        /^Backup failed: Cannot back up .*a\.txt: Server refused a\.txt \(1607\) \(gave up after 3 retries\)$/,
      );
    },
  );
});

Deno.test("runBackup() retries 1607 during registration and key exchange", async () => {
  const seen = new Map<number, number>();
  const intercept: FakeOptions["intercept"] = (request) => {
    const n = (seen.get(request.code) ?? 0) + 1;
    seen.set(request.code, n);
    if (
      (request.code === REGISTER || request.code === SEND_PUBLIC_KEY) && n === 1
    ) {
      return { code: ResponseCode.SERVER_ERROR };
    }
  };
  await scenario(
    { intercept },
    { files: { "a.txt": pattern(10) } },
    async (fake, dir) => {
      const { out, done } = backup(dir);
      assert.equal(await done, 0, out.errors.join("\n"));
      assert.deepEqual(fake.codes(), [
        REGISTER,
        REGISTER,
        SEND_PUBLIC_KEY,
        SEND_PUBLIC_KEY,
        SEND_FILE,
        CRC_OK,
      ]);
    },
  );
});

Deno.test("runBackup() reconnects and restarts the file after the connection drops mid-upload", async () => {
  let drops = 1;
  const intercept: FakeOptions["intercept"] = (request) =>
    request.packet?.packetNumber === 2 && drops-- > 0 ? "drop" : undefined;
  const data = pattern(3 * MiB + 5, 9);
  await scenario(
    { intercept },
    { files: { "d.bin": data } },
    async (fake, dir) => {
      const { out, done } = backup(dir);
      assert.equal(await done, 0, out.errors.join("\n"));
      assert.equal(fake.connections, 2);
      const second = fake.requests.filter((r) => r.connection === 2).map((r) =>
        r.code
      );
      assert.deepEqual(second, [
        RECONNECT,
        SEND_FILE,
        SEND_FILE,
        SEND_FILE,
        SEND_FILE,
        CRC_OK,
      ]);
      assertBytesEqual(fake.storedFile("alice", "d.bin"), data);
      assert.ok(
        out.lines.some((l) => /^warning: Cannot .*retry 1 of 3$/.test(l)),
      );
    },
  );
});

Deno.test("runBackup() registers again on a new connection when the key exchange dropped after 1600", async () => {
  let drops = 1;
  const intercept: FakeOptions["intercept"] = (request) =>
    request.code === SEND_PUBLIC_KEY && drops-- > 0 ? "drop" : undefined;
  await scenario(
    { intercept },
    { files: { "a.txt": pattern(10) } },
    async (fake, dir) => {
      const { out, done } = backup(dir);
      assert.equal(await done, 0, out.errors.join("\n"));
      assert.deepEqual(fake.codes(), [
        REGISTER,
        SEND_PUBLIC_KEY,
        RECONNECT, // 1606: the key never arrived
        REGISTER, // the abandoned registration freed the name
        SEND_PUBLIC_KEY,
        SEND_FILE,
        CRC_OK,
      ]);
      const me = await readMeInfo(join(dir, "me.info"));
      assert.equal(toHex(me!.clientId), toHex(fake.clients.get("alice")!.id));
    },
  );
});

Deno.test("runBackup() gives up when the server keeps dropping the connection", async () => {
  await scenario({ intercept: () => "drop" }, {
    files: { "a.txt": pattern(10) },
  }, async (fake, dir) => {
    const { out, done } = backup(dir);
    assert.equal(await done, 1);
    assert.equal(fake.connections, 4);
    assert.match(
      out.errors[0],
      /^Backup failed: Cannot open a session with 127\.0\.0\.1:\d+: .*closed the connection \(gave up after 3 retries\)$/,
    );
  });
});

Deno.test("runBackup() treats a silent server as a dropped connection", async () => {
  let silences = 1;
  const intercept: FakeOptions["intercept"] = (request) =>
    request.code === CRC_OK && silences-- > 0 ? "silent" : undefined;
  await scenario(
    { intercept },
    { files: { "a.txt": pattern(10) } },
    async (fake, dir) => {
      const { out, done } = backup(dir, {
        connection: { responseTimeoutMs: 300 },
      });
      assert.equal(await done, 0, out.errors.join("\n"));
      assert.ok(
        out.lines.some((l) => /no answer within 300 ms; retry 1 of 3/.test(l)),
      );
      assert.equal(fake.connections, 2);
    },
  );
});

Deno.test("runBackup() reports an unreachable server clearly", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const dir = await clientDir(port, { files: { "a.txt": pattern(1) } });
  try {
    const { out, done } = backup(dir, { retries: 1 });
    assert.equal(await done, 1);
    assert.match(
      out.errors[0],
      new RegExp(
        `^Backup failed: Cannot open a session with 127\\.0\\.0\\.1:${port}: Cannot connect to 127\\.0\\.0\\.1:${port}: .*gave up after 1 retries\\)$`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runBackup() reports a missing file without connecting", async () => {
  await scenario({}, { paths: ["nope.txt"] }, async (fake, dir) => {
    const { out, done } = backup(dir);
    assert.equal(await done, 1);
    assert.equal(fake.connections, 0);
    assert.deepEqual(out.errors, [
      `Cannot back up ${join(dir, "nope.txt")}: file not found`,
      "Backup failed: no file to back up",
    ]);
  });
});

Deno.test("runBackup() backs up the other files when one is missing, then exits non-zero", async () => {
  await scenario({}, {
    files: { "ok.txt": pattern(5) },
    paths: ["gone.txt", "ok.txt"],
  }, async (fake, dir) => {
    const { out, done } = backup(dir);
    assert.equal(await done, 1);
    assertBytesEqual(fake.storedFile("alice", "ok.txt"), pattern(5));
    assert.equal(out.errors.at(-1), "Backup failed: 1 of 2 files not verified");
  });
});

Deno.test("runBackup() reports a bad or missing transfer.info with its line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let run = backup(dir);
    assert.equal(await run.done, 1);
    assert.match(
      run.out.errors[0],
      /^Backup failed: Cannot read .*transfer\.info: file not found$/,
    );
    await Deno.writeTextFile(
      join(dir, "transfer.info"),
      "localhost:99999\nalice\nx\n",
    );
    run = backup(dir);
    assert.equal(await run.done, 1);
    assert.match(
      run.out.errors[0],
      /transfer\.info: line 1: port 99999 is outside 1\.\.65535$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runBackup() decrypts SHA-256 OAEP keys when told to, and explains a hash mismatch", async () => {
  await scenario(
    { oaepHash: "sha256" },
    { files: { "a.txt": pattern(10) } },
    async (fake, dir) => {
      const wrong = backup(dir);
      assert.equal(await wrong.done, 1);
      assert.match(
        wrong.out.errors[0],
        /Cannot decrypt the session key .*OAEP sha1; does the server use another --oaep-hash\?/,
      );
      const right = backup(dir, { oaepHash: "sha256" });
      assert.equal(await right.done, 0, right.out.errors.join("\n"));
      assertBytesEqual(fake.storedFile("alice", "a.txt"), pattern(10));
    },
  );
});

Deno.test("runBackup() stops on a response with a wrong protocol version", async () => {
  const fake = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of fake) {
      await conn.read(new Uint8Array(300));
      await conn.write(
        new Uint8Array([2, 0x40, 0x06, 16, 0, 0, 0, ...new Uint8Array(16)]),
      );
      conn.close();
    }
  })();
  const dir = await clientDir((fake.addr as Deno.NetAddr).port, {
    files: { "a.txt": pattern(1) },
  });
  try {
    const { out, done } = backup(dir);
    assert.equal(await done, 1);
    assert.deepEqual(out.errors, [
      "Backup failed: Cannot read response: server speaks version 2, not 3",
    ]);
  } finally {
    fake.close();
    await serving.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runBackup() refuses a file too large for the protocol before connecting", async () => {
  await scenario({}, { paths: ["huge.img"] }, async (fake, dir) => {
    const file = await Deno.create(join(dir, "huge.img"));
    await file.truncate(2 ** 32); // Sparse: takes no disk space.
    file.close();
    const { out, done } = backup(dir);
    assert.equal(await done, 1);
    assert.equal(fake.connections, 0);
    assert.equal(
      out.errors[0],
      "Cannot upload a file of 4294967296 bytes: the protocol allows at most 4294967295",
    );
  });
});

Deno.test("runBackup() reconnects as the me.info identity when transfer.info names someone else", async () => {
  await scenario({}, { files: { "a.txt": pattern(10) } }, async (fake, dir) => {
    assert.equal(await backup(dir).done, 0);
    const info = join(dir, "transfer.info");
    await Deno.writeTextFile(
      info,
      (await Deno.readTextFile(info)).replace("\nalice\n", "\nbob\n"),
    );
    const { out, done } = backup(dir);
    assert.equal(await done, 0, out.errors.join("\n"));
    assert.ok(out.lines.includes(
      'warning: me.info is for "alice", transfer.info names "bob"; continuing as "alice"',
    ));
    assert.equal(fake.clients.size, 1);
  });
});

Deno.test("runBackup() stops when the server answers 1603 before the last packet", async () => {
  const intercept: FakeOptions["intercept"] = (request, fake) =>
    request.packet?.packetNumber === 1
      ? {
        code: ResponseCode.FILE_RECEIVED,
        clientId: fake.clients.get("alice")!.id,
        contentSize: 0,
        fileName: request.fileName!,
        checksum: 0,
      }
      : undefined;
  // The pause keeps the client from pushing every packet before it reads.
  const afterResponse = () => new Promise<void>((r) => setTimeout(r, 300));
  await scenario(
    { intercept, afterResponse },
    { files: { "a.bin": pattern(32 * MiB) } },
    async (_fake, dir) => {
      const { out, done } = backup(dir);
      assert.equal(await done, 1);
      assert.match(
        out.errors[0],
        /^Backup failed: Cannot upload a\.bin: server answered 1603 after packet \d+ of 33$/,
      );
    },
  );
});

Deno.test("runBackup() accepts a 1603 with the encrypted size and skips the 1604 that acknowledges 1030", async () => {
  // As the framework's Python server speaks; the first 1603 lies about the
  // checksum so that the client sends 1030 and meets that 1604.
  let lies = 1;
  const mangle: FakeOptions["mangle"] = (response) =>
    response.code === ResponseCode.FILE_RECEIVED && lies-- > 0
      ? { ...response, checksum: (response.checksum ^ 1) >>> 0 }
      : response;
  const data = pattern(2 * MiB + 3);
  await scenario(
    { pythonDialect: true, mangle },
    { files: { "p.bin": data } },
    async (fake, dir) => {
      const { out, done } = backup(dir);
      assert.equal(await done, 0, out.errors.join("\n"));
      assert.deepEqual(fake.codes().slice(2), [
        SEND_FILE,
        SEND_FILE,
        SEND_FILE,
        CRC_RETRY,
        SEND_FILE,
        SEND_FILE,
        SEND_FILE,
        CRC_OK,
      ]);
      assert.equal(fake.connections, 1);
      assert.deepEqual(fake.storedFile("alice", "p.bin"), data);
      assert.ok(out.lines.includes(
        `Verified p.bin (2.00 MiB, cksum ${cksum(data)})`,
      ));
    },
  );
});

Deno.test("runBackup() skips a 1030 acknowledgement that arrives after the resend is out", async () => {
  let lies = 1;
  const mangle: FakeOptions["mangle"] = (response) =>
    response.code === ResponseCode.FILE_RECEIVED && lies-- > 0
      ? { ...response, checksum: (response.checksum ^ 1) >>> 0 }
      : response;
  // The 1604 for 1030 comes late, when the one-packet resend is already out
  // and the client's answer timeout runs.
  const beforeResponse = (request: { code: number }) =>
    request.code === CRC_RETRY
      ? new Promise<void>((r) => setTimeout(r, 300))
      : undefined;
  await scenario(
    { pythonDialect: true, mangle, beforeResponse },
    { files: { "s.txt": pattern(42) } },
    async (fake, dir) => {
      const { out, done } = backup(dir, {
        connection: { responseTimeoutMs: 5_000 },
      });
      assert.equal(await done, 0, out.errors.join("\n"));
      assert.deepEqual(fake.codes().slice(2), [
        SEND_FILE,
        CRC_RETRY,
        SEND_FILE,
        CRC_OK,
      ]);
      assert.deepEqual(fake.storedFile("alice", "s.txt"), pattern(42));
    },
  );
});

Deno.test("runBackup() says the size differed, not the checksum, when only the 1603 size is wrong", async () => {
  const mangle: FakeOptions["mangle"] = (response) =>
    response.code === ResponseCode.FILE_RECEIVED
      ? { ...response, contentSize: response.contentSize + 100 }
      : response;
  await scenario(
    { mangle },
    { files: { "z.txt": pattern(42) } },
    async (fake, dir) => {
      const { out, done } = backup(dir);
      assert.equal(await done, 1);
      assert.equal(fake.stored.size, 0);
      assert.match(
        out.errors[0],
        /^Cannot back up .*z\.txt: not verified after 3 attempts: size differs \(server reports 142 bytes; we sent 42, 48 encrypted\)$/,
      );
      assert.ok(!out.errors[0].includes("checksum differs"));
    },
  );
});

Deno.test("runBackup() sends a 162-byte exponent-65537 key when told to, for a server that demands one", async () => {
  await scenario(
    { keyField: 162 },
    { files: { "k.txt": pattern(10) } },
    async (fake, dir) => {
      const refused = backup(dir, { retries: 1 });
      assert.equal(await refused.done, 1);
      assert.match(refused.out.errors[0], /key exchange \(1607\)/);
      await Deno.remove(join(dir, "me.info"));
      fake.clients.clear();
      const { out, done } = backup(dir, { keyField: 162 });
      assert.equal(await done, 0, out.errors.join("\n"));
      const key = fake.clients.get("alice")!.publicKey!;
      assert.equal(key.length, 162);
      const details = createPublicKey({
        key: Buffer.from(key),
        format: "der",
        type: "spki",
      }).asymmetricKeyDetails;
      assert.equal(details?.publicExponent, 65537n);
      assert.equal(details?.modulusLength, 1024);
      assert.deepEqual(fake.storedFile("alice", "k.txt"), pattern(10));
    },
  );
});

Deno.test("runBackup() gives up soon on a port that accepts and never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // Never answered.
  })();
  const dir = await clientDir((listener.addr as Deno.NetAddr).port, {
    files: { "a.txt": pattern(1) },
  });
  try {
    const started = performance.now();
    // Only the first answer's timeout is short: the later one must not apply.
    const { out, done } = backup(dir, {
      retries: 1,
      connection: { firstResponseTimeoutMs: 200, responseTimeoutMs: 60_000 },
    });
    assert.equal(await done, 1);
    assert.match(
      out.errors[0],
      /^Backup failed: Cannot open a session with .*: Cannot read response: no answer within 200 ms \(gave up after 1 retries\)$/,
    );
    assert.equal(held.length, 2);
    assert.ok(performance.now() - started < 5_000);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runBackup() pointed at an HTTP server says so and names the protocol port", async () => {
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("portal"),
  );
  const dir = await clientDir(http.addr.port, {
    files: { "a.txt": pattern(1) },
  });
  try {
    const { out, done } = backup(dir);
    assert.equal(await done, 1);
    assert.deepEqual(out.errors, [
      "Backup failed: Cannot read response: this looks like an HTTP server (the portal?); the protocol port is the one in port.info, 1256 by default",
    ]);
  } finally {
    await http.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runBackup() backs up a UTF-8 name and refuses, per file, names the field cannot carry", async () => {
  const tooLong = `${"\u00e9".repeat(127)}x`; // 255 UTF-8 bytes: no room for the NUL.
  const files = {
    "r\u00e9sum\u00e9.txt": pattern(42),
    [tooLong]: pattern(3),
    "bell\x07.txt": pattern(4),
    "ok.txt": pattern(5),
  };
  await scenario({}, { files }, async (fake, dir) => {
    const { out, done } = backup(dir);
    assert.equal(await done, 1);
    assert.deepEqual(
      fake.storedFile("alice", "r\u00e9sum\u00e9.txt"),
      pattern(42),
    );
    assert.deepEqual(fake.storedFile("alice", "ok.txt"), pattern(5));
    assert.deepEqual(
      fake.requests.filter((r) => r.packet).map((r) => r.fileName),
      ["r\u00e9sum\u00e9.txt", "ok.txt"],
    );
    assert.deepEqual(out.errors, [
      `Cannot back up ${
        join(dir, tooLong)
      }: file name refused: name is longer than 254 bytes in UTF-8`,
      `Cannot back up ${
        join(dir, "bell\\u{7}.txt")
      }: file name refused: name contains a control character`,
      "Backup failed: 2 of 4 files not verified",
    ]);
    assert.ok(out.lines.includes(
      `Verified r\u00e9sum\u00e9.txt (42 B, cksum ${cksum(pattern(42))})`,
    ));
  });
});

Deno.test("runBackup() interrupted while the server confirms a file says the server may have it", async () => {
  const interrupt = new AbortController();
  // The server has stored the file on 1029; the interruption comes before
  // its 1604 reaches the client.
  const beforeResponse = (request: { code: number }) => {
    if (request.code !== CRC_OK) return;
    interrupt.abort();
    return new Promise<void>((r) => setTimeout(r, 300));
  };
  await scenario(
    { beforeResponse },
    { files: { "c.txt": pattern(10) } },
    async (fake, dir) => {
      const { out, done } = backup(dir, { signal: interrupt.signal });
      assert.equal(await done, 130);
      assert.deepEqual(fake.storedFile("alice", "c.txt"), pattern(10));
      assert.deepEqual(out.errors, [
        `Interrupted while the server was confirming ${
          join(dir, "c.txt")
        }: it may already have stored it. Run the backup again to be sure; that is safe, it uploads every file again and replaces the stored copy`,
        "Backup interrupted: 0 of 1 files verified",
      ]);
      assert.equal(fake.connections, 1, "no retry after the interruption");
    },
  );
});

Deno.test("runBackup() interrupted mid-upload says the file was not backed up and retries nothing", async () => {
  const interrupt = new AbortController();
  const intercept: FakeOptions["intercept"] = (request) => {
    if (request.fileName === "big.bin" && request.packet?.packetNumber === 2) {
      interrupt.abort();
    }
    return undefined;
  };
  await scenario(
    { intercept },
    { files: { "a.txt": pattern(10), "big.bin": pattern(8 * MiB) } },
    async (fake, dir) => {
      const { out, done } = backup(dir, { signal: interrupt.signal });
      assert.equal(await done, 130);
      assert.deepEqual(fake.storedFile("alice", "a.txt"), pattern(10));
      assert.equal(fake.storedFile("alice", "big.bin"), undefined);
      assert.deepEqual(out.errors, [
        `Interrupted: ${
          join(dir, "big.bin")
        } was not backed up this time (the server drops an unconfirmed upload and keeps any earlier copy)`,
        "Backup interrupted: 1 of 2 files verified",
      ]);
      assert.equal(fake.connections, 1);
      assert.ok(!out.lines.some((l) => /retry/.test(l)), out.lines.join("\n"));
    },
  );
});
