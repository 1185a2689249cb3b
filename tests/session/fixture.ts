/**
 * A session core over a temporary database and file store, with a clock
 * the test moves, and helpers that play a client.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encrypt } from "../../server/crypto/aes_cbc.ts";
import { decryptKey, generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import type { FilePacketRequest } from "../../server/protocol/messages.ts";
import type { SessionContext } from "../../server/session/context.ts";
import { Session } from "../../server/session/session.ts";
import {
  Database,
  type DatabaseOptions,
} from "../../server/storage/database.ts";
import { FileStore } from "../../server/storage/file_store.ts";

/** The key pair every test client uses. */
export const KEYS = generateKeyPair();
/** What a test gets. */
export interface Fixture {
  /** The session context, over the real SQLite database (tests read its rows). */
  ctx: SessionContext & { db: Database };
  dir: string;
  clock: { now: number };
  close(): Promise<void>;
}

/** A new temporary database and store. */
export async function fixture(
  options: DatabaseOptions = {},
): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "cb-session-" });
  const db = Database.open(join(dir, "defensive.db"), options);
  const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
  const ctx: SessionContext & { db: Database } = {
    db,
    store: new FileStore(join(dir, "received_files")),
    events: () => {},
    oaepHash: "sha1",
    maxFileBytes: 1 << 30,
    transport: "tcp",
    now: () => new Date(clock.now).toISOString(),
  };
  return {
    ctx,
    dir,
    clock,
    async close() {
      db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A one-packet 1028 carrying `cipher`. */
export function packet(
  clientId: Uint8Array,
  fileName: string,
  cipher: Uint8Array,
  origFileSize: number,
): FilePacketRequest {
  return {
    code: RequestCode.SEND_FILE,
    clientId,
    contentSize: cipher.length,
    origFileSize,
    packetNumber: 1,
    totalPackets: 1,
    fileName,
    contentLength: cipher.length,
    content: (async function* () {
      yield cipher;
    })(),
  };
}

/** A session keyed for `name`: registers it, or reconnects when `id` is given. */
export async function keyed(
  ctx: SessionContext,
  name: string,
  id?: Uint8Array,
) {
  const session = new Session(ctx);
  if (id) {
    const answer = await session.handle({
      code: RequestCode.RECONNECT,
      clientId: id,
      name,
    });
    assert.equal(answer?.code, ResponseCode.RECONNECT_OK);
    if (answer?.code !== ResponseCode.RECONNECT_OK) throw new Error();
    return {
      session,
      clientId: id,
      key: decryptKey(KEYS.privateKey, answer.encryptedKey),
    };
  }
  const registered = await session.handle({
    code: RequestCode.REGISTER,
    clientId: new Uint8Array(16),
    name,
  });
  if (registered?.code !== ResponseCode.REGISTER_OK) throw new Error();
  const answer = await session.handle({
    code: RequestCode.SEND_PUBLIC_KEY,
    clientId: registered.clientId,
    name,
    publicKey: KEYS.publicKey,
  });
  if (answer?.code !== ResponseCode.AES_KEY) throw new Error();
  return {
    session,
    clientId: registered.clientId,
    key: decryptKey(KEYS.privateKey, answer.encryptedKey),
  };
}

/** One-packet uploads of `fileName`, and its 1029, as a keyed client sends them. */
export function oneFile(
  client: { session: Session; clientId: Uint8Array; key: Uint8Array },
  fileName: string,
) {
  const { session, clientId, key } = client;
  return {
    send(text: string) {
      const data = new TextEncoder().encode(text);
      return session.handle(
        packet(clientId, fileName, encrypt(key, data), data.length),
      );
    },
    verdict() {
      return session.handle({ code: RequestCode.CRC_OK, clientId, fileName });
    },
  };
}
