/**
 * Client states driven by real protocol clients against a real server, on
 * the real clock with short intervals (a 2 s expected backup interval, a
 * 200 ms watcher tick: docs/operations.md, "Time in tests"): each change is
 * delivered once to a local webhook receiver (signature checked) and once
 * by mail through a real aiosmtpd (STARTTLS, AUTH).
 */
import assert from "node:assert/strict";
import { encodeRequest } from "../../server/protocol/client_codec.ts";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { decryptKey } from "../../server/crypto/rsa_oaep.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { Database } from "../../server/storage/database.ts";
import type { OpsEvent } from "../../server/ops/events.ts";
import {
  confirmChecksum,
  type KeyedClient,
  RawClient,
  registerClient,
  sendFrames,
  startServer,
  type TestServer,
  uploadFile,
  waitUntil,
} from "./harness.ts";
import { startReceiver } from "../ops/receiver.ts";
import {
  bodyOf,
  headerOf,
  type ReceivedMail,
  type SmtpServer,
  smtpSkipReason,
  startSmtpServer,
} from "../ops/smtp_fixture.ts";

const SECRET = "hook-secret-" + crypto.randomUUID();
const skip = smtpSkipReason();
if (skip) {
  // deno-lint-ignore no-console
  console.warn(`Skipping alert end-to-end tests: ${skip}`);
}

/** Stores the alert settings in a new data directory, as the Alerts page would. */
async function dataDirWith(
  smtp: SmtpServer,
  hook: string,
  extra: Record<string, string> = {},
): Promise<string> {
  const dataDir = await Deno.makeTempDir({ prefix: "cb-ops-" });
  const db = Database.open(`${dataDir}/defensive.db`);
  db.ops.saveSettings({
    "ops.interval_seconds": "2",
    "ops.failing_after": "2",
    "ops.renotify_seconds": "0",
    "summary.hour": "0",
    "webhook.url": hook,
    "webhook.secret": SECRET,
    "webhook.attempts": "3",
    "webhook.backoff_ms": "50",
    "smtp.host": "127.0.0.1",
    "smtp.port": String(smtp.port),
    "smtp.security": "starttls",
    "smtp.user": smtp.user,
    "smtp.password": smtp.password,
    "smtp.from": "cyberbackup@example.org",
    "smtp.to": "ops@example.org",
    "smtp.ca_cert": smtp.cert,
    ...extra,
  });
  db.close();
  return dataDir;
}

async function backUp(client: KeyedClient, name: string): Promise<void> {
  const answer = await uploadFile(client, name, new TextEncoder().encode(name));
  assert.equal(answer?.code, ResponseCode.FILE_RECEIVED);
  const done = await confirmChecksum(client, name);
  assert.equal(done?.code, ResponseCode.ACK);
}

async function abortOne(client: KeyedClient, name: string): Promise<void> {
  const answer = await uploadFile(client, name, new TextEncoder().encode(name));
  assert.equal(answer?.code, ResponseCode.FILE_RECEIVED);
  const done = await client.raw.request({
    code: RequestCode.CRC_ABORT,
    clientId: client.clientId,
    fileName: name,
  });
  assert.equal(done?.code, ResponseCode.ACK);
}

/**
 * Reconnects and sends an upload that does not decrypt to what it
 * announces (one byte more than the plaintext): a key failure.
 */
async function undecryptable(
  server: TestServer,
  client: KeyedClient,
): Promise<void> {
  const raw = await RawClient.connect(server.port);
  try {
    const answer = await raw.request({
      code: RequestCode.RECONNECT,
      clientId: client.clientId,
      name: client.name,
    });
    assert.equal(answer?.code, ResponseCode.RECONNECT_OK);
    if (answer?.code !== ResponseCode.RECONNECT_OK) return;
    const aesKey = decryptKey(client.privateKey, answer.encryptedKey);
    const data = new TextEncoder().encode("forged");
    const cipher = encrypt(aesKey, data);
    const frame = encodeRequest({
      code: RequestCode.SEND_FILE,
      clientId: client.clientId,
      contentSize: cipher.length,
      origFileSize: data.length + 1,
      packetNumber: 1,
      totalPackets: 1,
      fileName: "forged.bin",
      content: cipher,
    });
    const refused = await sendFrames({ ...client, raw, aesKey }, [frame]);
    assert.equal(refused?.code, ResponseCode.SERVER_ERROR);
  } finally {
    raw.close();
  }
}

function stateEvents(
  events: OpsEvent[],
  name: string,
): string[] {
  return events.flatMap((e) =>
    e.type === "client.state" && e.client.name === name ? [e.state] : []
  );
}

function mailSubjects(mails: ReceivedMail[], pattern: RegExp): string[] {
  return mails.map((m) => headerOf(m, "Subject") ?? "").filter((s) =>
    pattern.test(s)
  );
}

Deno.test({
  name:
    "a client's ok → overdue → ok → failing → locked is webhooked and mailed once per change",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const smtp = await startSmtpServer();
    const hook = startReceiver(SECRET);
    const dataDir = await dataDirWith(smtp, hook.url);
    const server = await startServer({
      dataDir,
      args: ["--ops-interval", "200ms"],
    });
    const events = () => hook.received.map((r) => r.event as OpsEvent);
    const alice = () => stateEvents(events(), "alice");
    try {
      await waitUntil(
        () => events().some((e) => e.type === "server.start"),
        "the server.start webhook",
      );
      const client = await registerClient(server.port, "alice");
      await backUp(client, "one.txt");
      // ok at first sight: recorded, not notified. Nothing for 2 s: overdue.
      await waitUntil(() => alice().length >= 1, "alice overdue", 8000);
      assert.deepEqual(alice(), ["overdue"]);
      await backUp(client, "two.txt");
      await waitUntil(() => alice().length >= 2, "alice ok again");
      await abortOne(client, "three.txt");
      await abortOne(client, "four.txt");
      await waitUntil(() => alice().length >= 3, "alice failing");
      for (let i = 0; i < 3; i++) await undecryptable(server, client);
      await waitUntil(() => alice().length >= 4, "alice locked");
      // Several ticks later, still exactly one notification per change.
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(alice(), ["overdue", "ok", "failing", "locked"]);
      const overdue = events().find((e) =>
        e.type === "client.state" && e.state === "overdue"
      );
      assert.ok(overdue?.type === "client.state");
      assert.equal(overdue.previous, "ok");
      assert.match(overdue.reason, /last verified upload \d+ s ago/);
      assert.ok(hook.received.every((r) => r.signed), "every delivery signed");
      assert.equal(
        hook.received[0].headers.get("X-CyberBackup-Event"),
        "server.start",
      );

      // The same four changes by mail, each once, over STARTTLS with AUTH.
      await waitUntil(
        () => mailSubjects(smtp.received, /client alice/).length >= 4,
        "four mails about alice",
      );
      const subjects = mailSubjects(smtp.received, /client alice/);
      assert.deepEqual(subjects, [
        "[CyberBackup] client alice is now overdue",
        "[CyberBackup] client alice is now ok",
        "[CyberBackup] client alice is now failing",
        "[CyberBackup] client alice is now locked",
      ]);
      assert.ok(smtp.received.every((m) => m.tls && m.user === smtp.user));
      const locked = smtp.received.find((m) =>
        /locked/.test(headerOf(m, "Subject") ?? "")
      )!;
      assert.match(bodyOf(locked), /3 uploads failed to decrypt within 24 h/);
      // The daily summary went out once (due from hour 0), by mail only.
      const summaries = mailSubjects(smtp.received, /daily summary/);
      assert.equal(summaries.length, 1);
      assert.ok(!events().some((e) => e.type === "summary.daily"));

      // The portal's delivery log holds them (read by the server's own API).
      const db = Database.open(`${dataDir}/defensive.db`);
      try {
        const log = db.ops.deliveries(100);
        assert.ok(
          log.filter((d) =>
            d.event === "client.state" && d.channel === "webhook" &&
            d.status === "delivered"
          ).length === 4,
        );
      } finally {
        db.close();
      }
      client.raw.close();
    } finally {
      await server.stop();
      await hook.close().catch(() => {});
      await smtp.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "server start, a disk below the watermark and server stop are notified once each",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const smtp = await startSmtpServer();
    const hook = startReceiver(SECRET);
    const dataDir = await dataDirWith(smtp, hook.url, { "summary.hour": "-1" });
    const server = await startServer({
      dataDir,
      // No disk has a petabyte free: the watermark is crossed at once.
      args: ["--ops-interval", "200ms", "--min-free", "8000000G"],
    });
    try {
      await waitUntil(
        () => hook.received.some((r) => r.event.type === "disk.low"),
        "the disk.low webhook",
      );
      await new Promise((r) => setTimeout(r, 800));
    } finally {
      await server.stop();
    }
    try {
      const types = hook.received.map((r) => r.event.type);
      assert.deepEqual(types, ["server.start", "disk.low", "server.stop"]);
      const low = hook.received[1].event;
      assert.ok(low.type === "disk.low");
      assert.equal(low.watermark, 8000000 * 1024 ** 3);
      assert.ok(hook.received.every((r) => r.signed));
      await waitUntil(() => smtp.received.length >= 3, "three mails");
      assert.deepEqual(
        smtp.received.map((m) => headerOf(m, "Subject")).sort(),
        [
          "[CyberBackup] data disk below the free-space watermark",
          "[CyberBackup] server started",
          "[CyberBackup] server stopping",
        ],
      );
    } finally {
      await hook.close();
      await smtp.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
