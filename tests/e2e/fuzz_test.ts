/**
 * Protocol fuzzing against the real server process: seeded hostile frames
 * (tests/soak/fuzzer.ts), then checks that nothing crashed or leaked and
 * that real clients are still served. The long run is tests/soak/fuzz.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encryptedSize } from "../../server/protocol/packet_plan.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { decryptKey, generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { decrypt } from "../../server/crypto/aes_cbc.ts";
import { runFuzz, summarize } from "../soak/fuzzer.ts";
import {
  backUpWithClient,
  note,
  readDb,
  seededBytes,
  unexpectedErrors,
} from "../soak/helpers.ts";
import { hasProc, mib, procStats, settle } from "../soak/proc.ts";
import { Rng } from "../soak/rng.ts";
import {
  clientDir,
  confirmChecksum,
  type KeyedClient,
  RawClient,
  registerClient,
  startServer,
  uploadFile,
} from "./harness.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

const SEED = 20_260_611;
const FRAMES = 20_000;
/** Most the server's VmRSS may grow over the second half of the run. */
const SECOND_HALF_GROWTH_MIB = 48;
/** Errors the server logs on purpose when the fuzzer attacks. */
const EXPECTED_ERRORS = [/Security violation/];

async function storeVerified(
  client: KeyedClient,
  fileName: string,
  data: Uint8Array,
): Promise<void> {
  const received = await uploadFile(client, fileName, data);
  assert.equal(received?.code, ResponseCode.FILE_RECEIVED);
  const ack = await confirmChecksum(client, fileName);
  assert.equal(ack?.code, ResponseCode.ACK);
}

Deno.test({
  name:
    "20,000 seeded hostile frames each get 1607 or a closed connection, the server leaks no descriptor and a real client verifies right after",
  ignore: !hasProc(),
  async fn() {
    // A heap limit per isolate makes V8 collect rather than grow, so that
    // the server's resident memory levels off within the run and what it
    // still gains is what it keeps.
    const server = await startServer({
      env: { DENO_V8_FLAGS: "--max-old-space-size=96" },
    });
    let exited = false;
    server.child.status.then(() => exited = true);
    try {
      const pid = server.child.pid;
      const victim = await registerClient(server.port, "crown");
      const jewels = seededBytes(SEED, 150_000);
      await storeVerified(victim, "jewels.bin", jewels);
      victim.raw.close();
      const idle = await settle(pid, () => false, 500);

      // Warm-up with another seed: both workers, every code path, V8 tiers.
      const warm = await runFuzz({
        port: server.port,
        seed: SEED - 1,
        frames: 2_000,
        victim,
      });
      assert.deepEqual(warm.failures, []);
      const baseline = await settle(pid, (s) => s.fds <= idle.fds);

      // The server's resident memory every 1,000 frames (of the server
      // process, not of this test runner).
      const samples: Promise<{ frames: number; rssKiB: number }>[] = [];
      const report = await runFuzz({
        port: server.port,
        seed: SEED,
        frames: FRAMES,
        victim,
        onProgress: ({ frames }) =>
          samples.push(procStats(pid).then((s) => ({ frames, ...s }))),
      });
      note(summarize(report).replaceAll("\n", "; "));
      assert.deepEqual(
        report.failures,
        [],
        "every answer as the protocol says",
      );
      assert.ok(report.frames >= FRAMES);
      for (
        const kind of [
          "bad-version",
          "unknown-code",
          "wrong-size",
          "4gib-payload",
          "truncated-header",
          "truncated-payload",
          "bad-field-1025",
          "bad-field-1028",
          "file-before-key",
          "verdict-never-sent-1029",
          "packet-out-of-order",
          "hostile-name",
          "key-for-victim",
          "key-after-reconnect",
          "undecryptable",
          "mutant",
          "upload",
        ]
      ) assert.ok(report.kinds[kind] > 0, `the run sent ${kind} frames`);
      assert.ok(report.answers[ResponseCode.SERVER_ERROR] > 5_000);

      const after = await settle(pid, (s) => s.fds <= baseline.fds);
      note(
        `server fds ${idle.fds} idle, ${baseline.fds} after warm-up, ${after.fds} after the run; ` +
          `VmRSS ${mib(idle.rssKiB)} MiB idle, ${
            mib(baseline.rssKiB)
          } MiB after warm-up, ${mib(after.rssKiB)} MiB after the run`,
      );
      // At most the baseline: the runtime may close one of its own since.
      assert.ok(
        after.fds <= baseline.fds,
        `no descriptor leaked (${after.fds} open, ${baseline.fds} before)`,
      );
      // By the second half the heap has reached V8's working size, so what
      // it still gains there is what a leak keeps: a bound on that growth
      // catches a moderate leak that a bound over the baseline would hide.
      // The lowest sample of its first and of its last third are compared,
      // since collections make resident memory saw up and down between.
      const all = await Promise.all(samples);
      const half = all.filter((s) => s.frames >= FRAMES / 2);
      assert.ok(half.length >= 6, `${half.length} samples in the second half`);
      const third = Math.floor(half.length / 3);
      const low = (part: typeof half) => Math.min(...part.map((s) => s.rssKiB));
      const early = low(half.slice(0, third));
      const late = low(half.slice(-third));
      const growthKiB = late - early;
      note(
        `server VmRSS over the second half: lowest ${mib(early)} MiB early, ${
          mib(late)
        } MiB late (peak ${mib(Math.max(...half.map((s) => s.rssKiB)))} MiB)`,
      );
      assert.ok(
        growthKiB < SECOND_HALF_GROWTH_MIB * 1024,
        `VmRSS grew ${
          mib(growthKiB)
        } MiB over the second half (bound ${SECOND_HALF_GROWTH_MIB} MiB)`,
      );

      assert.equal(exited, false, "the server is still running");
      assert.deepEqual(unexpectedErrors(server.output(), EXPECTED_ERRORS), []);
      const temps = [
        ...Deno.readDirSync(join(server.dataDir, "received_files", ".tmp")),
      ];
      assert.deepEqual(temps, [], "no temporary file left behind");

      // The victim's key and verified copy survived every takeover attempt.
      assertBytesEqual(
        await Deno.readFile(`${clientDir(server, victim.clientId)}/jewels.bin`),
        jewels,
      );
      const [row] = readDb<{ Checksum: number; Verified: number }>(
        server.dataDir,
        "SELECT Checksum, Verified FROM files WHERE ID = ?",
        victim.clientId,
      );
      assert.deepEqual([row.Checksum, row.Verified], [cksum(jewels), 1]);
      const again = await RawClient.connect(server.port);
      const reconnected = await again.request({
        code: RequestCode.RECONNECT,
        clientId: victim.clientId,
        name: victim.name,
      });
      again.close();
      assert.equal(reconnected?.code, ResponseCode.RECONNECT_OK);
      if (reconnected?.code === ResponseCode.RECONNECT_OK) {
        decryptKey(victim.privateKey, reconnected.encryptedKey);
      }

      await backUpWithClient(server, {
        user: "after-the-fuzz",
        fileName: "report.pdf",
        data: seededBytes(SEED + 1, 300_000),
      });
    } finally {
      await server.stop();
    }
  },
});

/** A 1028 with `cipher` as a whole one-packet file of `origFileSize` bytes. */
function forged(
  clientId: Uint8Array,
  fileName: string,
  cipher: Uint8Array,
  origFileSize: number,
) {
  return {
    code: RequestCode.SEND_FILE,
    clientId,
    contentSize: cipher.length,
    origFileSize,
    packetNumber: 1,
    totalPackets: 1,
    fileName,
    content: cipher,
  } as const;
}

/** Random blocks that fail to decrypt under `key`, as an attacker's usually do. */
function undecryptable(rng: Rng, key: Uint8Array): Uint8Array {
  for (;;) {
    const cipher = rng.bytes(16);
    try {
      decrypt(key, cipher);
    } catch {
      return cipher;
    }
  }
}

Deno.test("a stolen id and name cannot replace a verified file with forged ciphertext: the session and then the client are cut off", async () => {
  const server = await startServer();
  try {
    const victim = await registerClient(server.port, "victim");
    const precious = new TextEncoder().encode("verified, precious data");
    await storeVerified(victim, "precious.txt", precious);
    victim.raw.close();
    const rng = new Rng(SEED);
    // The attacker replays the id and name seen on the wire. The test holds
    // the victim's private key only to pick ciphertext the way chance would.
    const attack = async () => {
      const raw = await RawClient.connect(server.port);
      const answer = await raw.request({
        code: RequestCode.RECONNECT,
        clientId: victim.clientId,
        name: "victim",
      });
      assert.equal(answer?.code, ResponseCode.RECONNECT_OK);
      if (answer?.code !== ResponseCode.RECONNECT_OK) throw new Error();
      return { raw, key: decryptKey(victim.privateKey, answer.encryptedKey) };
    };

    const first = await attack();
    const refused = await first.raw.request(
      forged(
        victim.clientId,
        "precious.txt",
        undecryptable(rng, first.key),
        15,
      ),
    );
    assert.equal(refused?.code, ResponseCode.SERVER_ERROR);
    // The same session may not try again, even with ciphertext that decrypts.
    const lucky = await uploadFile(
      { ...victim, raw: first.raw, aesKey: first.key },
      "precious.txt",
      new TextEncoder().encode("garbage"),
    );
    assert.equal(lucky?.code, ResponseCode.SERVER_ERROR);
    first.raw.close();

    for (let i = 0; i < 2; i++) {
      const next = await attack();
      const answer = await next.raw.request(
        forged(
          victim.clientId,
          "precious.txt",
          undecryptable(rng, next.key),
          15,
        ),
      );
      assert.equal(answer?.code, ResponseCode.SERVER_ERROR);
      next.raw.close();
    }
    // Three failures in a day: no session of this client may upload now.
    const locked = await attack();
    const answer = await uploadFile(
      { ...victim, raw: locked.raw, aesKey: locked.key },
      "precious.txt",
      new TextEncoder().encode("x".repeat(encryptedSize(40))),
    );
    assert.equal(answer?.code, ResponseCode.SERVER_ERROR);
    locked.raw.close();

    assertBytesEqual(
      await Deno.readFile(`${clientDir(server, victim.clientId)}/precious.txt`),
      precious,
    );
    const failures = readDb<{ n: number }>(
      server.dataDir,
      "SELECT COUNT(*) AS n FROM key_failures WHERE ClientID = ?",
      victim.clientId,
    );
    assert.equal(failures[0].n, 3);
    await server.waitForOutput(
      /Security violation: upload refused for client [0-9a-f]{32}: 3 uploads failed to decrypt/,
    );
  } finally {
    await server.stop();
  }
});

Deno.test("a stolen id and name cannot replace a client's public key: the key and files stay the owner's", async () => {
  const server = await startServer();
  try {
    const owner = await registerClient(server.port, "owner");
    const data = new TextEncoder().encode("the owner's data");
    await storeVerified(owner, "data.txt", data);
    owner.raw.close();
    // The attacker replays the id and name seen on the wire: the reconnect
    // succeeds (the protocol cannot tell), the key replacement must not.
    const raw = await RawClient.connect(server.port);
    const reconnected = await raw.request({
      code: RequestCode.RECONNECT,
      clientId: owner.clientId,
      name: "owner",
    });
    assert.equal(reconnected?.code, ResponseCode.RECONNECT_OK);
    const attacker = generateKeyPair();
    const replaced = await raw.request({
      code: RequestCode.SEND_PUBLIC_KEY,
      clientId: owner.clientId,
      name: "owner",
      publicKey: attacker.publicKey,
    });
    assert.equal(replaced?.code, ResponseCode.SERVER_ERROR);
    raw.close();
    const [row] = readDb<{ PublicKey: Uint8Array }>(
      server.dataDir,
      "SELECT PublicKey FROM clients WHERE Name = 'owner'",
    );
    assert.notDeepEqual(row.PublicKey, attacker.publicKey);
    // The owner still reconnects with its own key and its file is intact.
    const again = await RawClient.connect(server.port);
    const back = await again.request({
      code: RequestCode.RECONNECT,
      clientId: owner.clientId,
      name: "owner",
    });
    again.close();
    assert.equal(back?.code, ResponseCode.RECONNECT_OK);
    if (back?.code === ResponseCode.RECONNECT_OK) {
      decryptKey(owner.privateKey, back.encryptedKey);
    }
    assertBytesEqual(
      await Deno.readFile(`${clientDir(server, owner.clientId)}/data.txt`),
      data,
    );
    await server.waitForOutput(
      /Security violation: replacement of the public key/,
    );
  } finally {
    await server.stop();
  }
});
