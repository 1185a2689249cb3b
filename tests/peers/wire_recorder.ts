/**
 * A scripted protocol server for checking what a peer puts on the wire: it
 * records every request's raw bytes and answers just enough to lead the peer
 * through a session, in any dialect (it never judges the bytes; the tests
 * do). It knows no client from before, so it answers 1027 with 1606. One
 * connection, on 127.0.0.1.
 * @module
 */
import { ExactReader, writeAll } from "../../server/io/exact_reader.ts";
import {
  decodeRequestHeader,
  encodeResponse,
} from "../../server/protocol/codec.ts";
import {
  RequestCode,
  ResponseCode,
  Size,
} from "../../server/protocol/constants.ts";
import type { Response } from "../../server/protocol/messages.ts";
import { decrypt } from "../../server/crypto/aes_cbc.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import { encryptKey } from "../../server/crypto/rsa_oaep.ts";

/** One request as it arrived. */
export interface RecordedRequest {
  code: number;
  clientId: Uint8Array;
  payload: Uint8Array;
}

/** How the recorder answers. */
export interface RecorderScript {
  /** Answer this many uploads with a wrong checksum. */
  wrongChecksums?: number;
  /** Answer the last packet of this many uploads with 1607. */
  refusedUploads?: number;
  /** Bytes of zero-IV prefix to drop before decrypting (0 or 16). */
  prefix: number;
}

/** The session key the recorder hands out. */
export const AES_KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
/** The id the recorder assigns on 1025. */
export const NEW_ID = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

/** The SPKI at the start of a 1026 key field: its DER length says where it ends. */
export function spkiOf(keyField: Uint8Array): Uint8Array {
  if (keyField[0] !== 0x30 || keyField[1] !== 0x81) {
    throw new TypeError("Cannot read key field: not a DER SEQUENCE");
  }
  return keyField.subarray(0, 3 + keyField[2]);
}

function u32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
}

function u16(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint16(at, true);
}

/** The fixed fields of a recorded 1028 payload, and its content. */
export function filePacket(payload: Uint8Array) {
  return {
    contentSize: u32(payload, 0),
    origFileSize: u32(payload, 4),
    packetNumber: u16(payload, 8),
    totalPackets: u16(payload, 10),
    content: payload.subarray(Size.FILE_PACKET_FIXED),
  };
}

function fileNameOf(payload: Uint8Array): string {
  const field = payload.subarray(12, 12 + Size.NAME);
  return new TextDecoder().decode(field.subarray(0, field.indexOf(0)));
}

/**
 * A listening recorder; `done` settles when the peer hangs up, with the
 * error that stopped the recorder if any (never rejects, so a peer that
 * never connects leaves no dangling rejection).
 */
export interface Recorder {
  port: number;
  requests: RecordedRequest[];
  done: Promise<Error | undefined>;
  close(): void;
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch { /* already closed, e.g. by the end of its readable */ }
}

/** Listens on a free port and serves one connection following `script`. */
export function startRecorder(script: RecorderScript): Recorder {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: RecordedRequest[] = [];
  const done = (async () => {
    try {
      const conn = await listener.accept();
      try {
        await serve(conn, script, requests);
      } finally {
        closeQuietly(conn);
      }
    } catch (error) {
      return error as Error;
    } finally {
      closeQuietly(listener);
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    requests,
    done,
    close: () => closeQuietly(listener),
  };
}

async function serve(
  conn: Deno.Conn,
  script: RecorderScript,
  requests: RecordedRequest[],
): Promise<void> {
  const reader = new ExactReader(conn.readable, { bufferSize: 2 << 20 });
  let contents: Uint8Array[] = [];
  let lies = script.wrongChecksums ?? 0;
  let refusals = script.refusedUploads ?? 0;
  for (;;) {
    const headerBytes = await reader.read(Size.REQUEST_HEADER);
    if (!headerBytes) return;
    const header = decodeRequestHeader(headerBytes.slice());
    const payload = header.payloadSize === 0
      ? new Uint8Array(0)
      : (await reader.readRequired(header.payloadSize)).slice();
    requests.push({ code: header.code, clientId: header.clientId, payload });
    let answer: Response | undefined;
    switch (header.code) {
      case RequestCode.REGISTER:
        answer = { code: ResponseCode.REGISTER_OK, clientId: NEW_ID };
        break;
      case RequestCode.SEND_PUBLIC_KEY:
        answer = {
          code: ResponseCode.AES_KEY,
          clientId: header.clientId,
          encryptedKey: encryptKey(
            spkiOf(payload.subarray(Size.NAME)),
            AES_KEY,
          ),
        };
        break;
      case RequestCode.RECONNECT:
        answer = {
          code: ResponseCode.RECONNECT_REJECTED,
          clientId: header.clientId,
        };
        break;
      case RequestCode.SEND_FILE: {
        const packet = filePacket(payload);
        contents.push(packet.content);
        if (packet.packetNumber < packet.totalPackets) continue;
        const sent = new Uint8Array(contents.reduce((n, c) => n + c.length, 0));
        contents.reduce((at, c) => (sent.set(c, at), at + c.length), 0);
        contents = [];
        if (refusals-- > 0) {
          answer = { code: ResponseCode.SERVER_ERROR };
          break;
        }
        const plain = decrypt(AES_KEY, sent.subarray(script.prefix));
        answer = {
          code: ResponseCode.FILE_RECEIVED,
          clientId: header.clientId,
          contentSize: sent.length - script.prefix,
          fileName: fileNameOf(payload),
          checksum: (cksum(plain) + (lies-- > 0 ? 1 : 0)) >>> 0,
        };
        break;
      }
      case RequestCode.CRC_RETRY:
        continue;
      default:
        answer = { code: ResponseCode.ACK, clientId: header.clientId };
    }
    await writeAll(conn, encodeResponse(answer));
  }
}
