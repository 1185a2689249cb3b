/**
 * Uploading one file from the browser as the protocol says: read it in
 * packets (never whole), encrypt each with the session key, checksum the
 * plaintext, send the packets in order, compare the server's checksum and
 * answer OK, resend (up to 3 tries in all) or abort. A dropped connection or
 * a server error restarts the file from packet 1, up to 3 times.
 * @module
 */
import { CksumOver } from "../../server/crypto/crc32.ts";
import { Size } from "../../server/protocol/constants.ts";
import {
  encryptedSize,
  packetSize,
} from "../../server/protocol/packet_plan.ts";
import { formatBytes } from "../../shared/format.ts";
import { ApiClientError, type ApiInfo, type FileReceived } from "./api.ts";
import { CbcEncryptor } from "./cbc.ts";
import { type Connection, isExpired, type KeyedSession } from "./connection.ts";

/** Where an upload is. */
export type Phase =
  | "queued"
  | "connect"
  | "encrypt"
  | "upload"
  | "verify"
  | "verified"
  | "failed";

/** A snapshot for the progress bar. */
export interface UploadProgress {
  phase: Phase;
  /** Ciphertext bytes the server has taken in this attempt. */
  bytes: number;
  /** Ciphertext size of the whole file. */
  total: number;
  /** Bytes per second over this attempt so far. */
  rate: number;
  /** 1 for the first try; 2 and 3 after checksum mismatches. */
  attempt: number;
}

/** An upload that cannot succeed; `message` is meant for the user. */
export class UploadError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "UploadError";
    this.code = code;
  }
}

/** Options of {@linkcode uploadFile}. */
export interface UploadOptions {
  connection: Connection;
  info: ApiInfo;
  /** Ciphertext per packet (default 4 MiB, capped by the server's limit). */
  packetBytes?: number;
  onProgress?: (progress: UploadProgress) => void;
  /** Retries after a dropped connection or server error (default 3). */
  retries?: number;
  retryDelayMs?: number;
  /** Tries in all before giving up on checksum mismatches (default 3). */
  checksumTries?: number;
}

const MIB = 1024 * 1024;
/** Codes after which starting the file again may work. */
const RETRYABLE = new Set([
  "unreachable",
  "server_error",
  "shutting_down",
  "rate_limited",
  "too_many_sessions",
  "session_busy",
  "out_of_sequence",
  "no_file_awaiting",
  "length_mismatch",
  "upload_rejected",
  "no_key",
]);

/**
 * Plaintext bytes per packet and the packet count for a file: whole blocks,
 * at most 65,535 packets, and room in the last packet for the padding block.
 */
export function packetPlan(
  size: number,
  options: { packetBytes: number; maxPacketBytes: number },
): { packetBytes: number; totalPackets: number } {
  let packetBytes: number;
  try {
    packetBytes = packetSize(size, {
      wanted: options.packetBytes,
      most: options.maxPacketBytes - Size.AES_BLOCK,
    });
  } catch {
    throw new UploadError(
      "file_too_large",
      "This file needs more packets than the protocol allows at this server's packet size.",
    );
  }
  return {
    packetBytes,
    totalPackets: Math.max(1, Math.ceil(size / packetBytes)),
  };
}

function friendly(error: ApiClientError): UploadError {
  return new UploadError(error.code, error.message);
}

/**
 * Uploads `file` under `fileName` until the server holds a verified copy;
 * throws {@linkcode UploadError} with a message for the user otherwise.
 */
export async function uploadFile(
  file: Blob,
  fileName: string,
  options: UploadOptions,
): Promise<FileReceived> {
  const { connection, info } = options;
  const size = file.size;
  if (size > info.maxFileBytes) {
    let [is, most] = [formatBytes(size), formatBytes(info.maxFileBytes)];
    // "4.00 GiB, at most 4.00 GiB" would read as no reason at all.
    if (is === most) [is, most] = [`${size} bytes`, `${info.maxFileBytes}`];
    throw new UploadError(
      "file_too_large",
      `This file is too large: ${is}, the server accepts at most ${most}.`,
    );
  }
  const plan = packetPlan(size, {
    packetBytes: options.packetBytes ?? 4 * MIB,
    maxPacketBytes: info.maxPacketBytes,
  });
  const retries = options.retries ?? 3;
  const tries = options.checksumTries ?? 3;
  const total = encryptedSize(size);
  let attempt = 1;
  let failures = 0;
  let lastRate = 0;
  const report = (phase: Phase, bytes = 0, rate = lastRate) => {
    lastRate = rate;
    options.onProgress?.({ phase, bytes, total, rate, attempt });
  };
  for (;;) {
    try {
      report("connect", 0, 0);
      const session = await connection.open();
      report("encrypt");
      const { received, checksum } = await sendPackets(file, {
        fileName,
        session,
        connection,
        plan,
        onSent: (bytes, rate) => report("upload", bytes, rate),
      });
      report("verify", total);
      const api = connection.api;
      if (received.checksum === checksum && received.size === size) {
        await api.verdict(session.token, "ok", fileName);
        report("verified", total);
        return received;
      }
      if (attempt >= tries) {
        await api.verdict(session.token, "abort", fileName);
        throw new UploadError(
          "checksum_mismatch",
          `Checksum mismatch after ${tries} tries: the server's copy never matched this file, so it was discarded.`,
        );
      }
      await api.verdict(session.token, "resend", fileName);
      attempt++;
    } catch (error) {
      if (error instanceof UploadError) throw error;
      if (!(error instanceof ApiClientError)) {
        throw new UploadError(
          "browser_error",
          `Cannot upload: ${(error as Error).message}`,
        );
      }
      if (isExpired(error) || error.code === "no_key") {
        connection.invalidate();
      } else if (!RETRYABLE.has(error.code)) {
        throw friendly(error);
      }
      failures++;
      if (failures > retries) {
        throw new UploadError(
          error.code,
          `${error.message} (gave up after ${retries} retries)`,
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, (options.retryDelayMs ?? 500) * failures)
      );
    }
  }
}

/** Sends every packet of one try; reading and encrypting the next overlaps sending this one. */
async function sendPackets(
  file: Blob,
  options: {
    fileName: string;
    session: KeyedSession;
    connection: Connection;
    plan: { packetBytes: number; totalPackets: number };
    onSent: (bytes: number, rate: number) => void;
  },
): Promise<{ received: FileReceived; checksum: number }> {
  const { fileName, session, plan } = options;
  const { packetBytes, totalPackets } = plan;
  const encryptor = new CbcEncryptor(session.aesKey);
  const cksum = new CksumOver();
  const prepare = async (index: number) => {
    const start = index * packetBytes;
    const end = Math.min(file.size, start + packetBytes);
    const plain = new Uint8Array(await file.slice(start, end).arrayBuffer());
    cksum.update(plain);
    return index === totalPackets - 1
      ? await encryptor.final(plain)
      : await encryptor.update(plain);
  };
  const started = performance.now();
  let sent = 0;
  let next = prepare(0);
  for (let index = 0; index < totalPackets; index++) {
    const content = await next;
    if (index + 1 < totalPackets) {
      next = prepare(index + 1);
      next.catch(() => {}); // a failed send below makes it moot
    }
    const answer = await options.connection.api.packet(session.token, {
      fileName,
      packetNumber: index + 1,
      totalPackets,
      size: file.size,
    }, content as Uint8Array<ArrayBuffer>);
    sent += content.length;
    const seconds = (performance.now() - started) / 1000;
    options.onSent(sent, seconds > 0 ? sent / seconds : 0);
    if (index === totalPackets - 1) {
      if (!("checksum" in answer)) {
        throw new ApiClientError(
          "server_error",
          "The server did not answer the last packet with a checksum.",
          500,
        );
      }
      return { received: answer, checksum: cksum.digest() };
    }
  }
  throw new RangeError("Cannot upload: the file has no packets");
}
