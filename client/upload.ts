/**
 * Uploads one file: streams it from disk through AES-CBC into 1028 packets,
 * checksums the plaintext in the same pass, and settles the checksum with
 * the server (1029, or 1030 and resend, or 1031 after the third mismatch).
 * @module
 */
import { basename } from "node:path";
import { RequestCode, ResponseCode } from "../server/protocol/constants.ts";
import { checkFileName } from "../server/storage/file_name.ts";
import {
  type PacketPlan,
  planPackets,
} from "../server/protocol/packet_plan.ts";
import {
  BadResponseError,
  type ProtocolClient,
  ServerError,
} from "./protocol_client.ts";
import { FileError, sendFile, type UploadProgress } from "./send_file.ts";

export { FileError, type UploadProgress };

/** Attempts per file before the client gives up on checksum mismatches. */
export const CHECKSUM_ATTEMPTS = 3;

/** What an upload needs besides the file. */
export interface UploadOptions {
  client: ProtocolClient;
  clientId: Uint8Array;
  aesKey: Uint8Array;
  onProgress?: (progress: UploadProgress) => void;
  /** Told about each failed verification before the resend or the 1031. */
  onMismatch?: (info: { attempt: number; difference: string }) => void;
  /**
   * Told just before 1029 goes out: from then until this call resolves, the
   * server may have stored the file whatever happens to the connection.
   */
  onConfirm?: () => void;
}

/** How an upload ended, when the protocol itself did not fail. */
export type UploadResult =
  | { verified: true; fileName: string; size: number; checksum: number }
  | { verified: false; fileName: string; reason: string };

/**
 * Why a 1603 does not confirm the file we sent, or undefined when it does.
 * The CRC must match; `ContentSize` may be the plaintext size (as our server
 * and docs/protocol.md say) or the encrypted size (as the framework's Python
 * server sends), since both describe the same upload.
 */
export function checkReceipt(
  theirs: { checksum: number; contentSize: number },
  ours: { checksum: number; plan: PacketPlan },
): string | undefined {
  const { origFileSize, contentSize } = ours.plan;
  const differences: string[] = [];
  if (theirs.checksum !== ours.checksum) {
    differences.push(
      `checksum differs (ours ${ours.checksum}, server's ${theirs.checksum})`,
    );
  }
  if (
    theirs.contentSize !== origFileSize && theirs.contentSize !== contentSize
  ) {
    differences.push(
      `size differs (server reports ${theirs.contentSize} bytes; we sent ${origFileSize}, ${contentSize} encrypted)`,
    );
  }
  return differences.length > 0 ? differences.join(" and ") : undefined;
}

/** `text` with control and invisible characters escaped, safe to print. */
function printable(text: string): string {
  return text.replace(
    /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu,
    (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}

/**
 * Size and packet plan of `path`; FileError when it cannot be uploaded:
 * missing, not a regular file, too large, or named so that the server
 * would refuse it (the server's own rules, so the refusal comes before any
 * byte is sent).
 */
export async function inspectFile(
  path: string,
): Promise<{ fileName: string; plan: PacketPlan }> {
  const fileName = basename(path);
  const refused = checkFileName(fileName);
  if (refused) {
    throw new FileError(
      `Cannot back up ${printable(path)}: file name refused: ${refused}`,
    );
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file not found"
      : (error as Error).message;
    throw new FileError(`Cannot back up ${path}: ${reason}`, { cause: error });
  }
  if (!info.isFile) {
    throw new FileError(`Cannot back up ${path}: not a regular file`);
  }
  try {
    return { fileName, plan: planPackets(info.size) };
  } catch (error) {
    throw new FileError((error as Error).message, { cause: error });
  }
}

/**
 * Uploads `path` and settles its checksum. Resolves with the outcome;
 * rejects with ServerError on 1607, ConnectionLostError when the
 * connection fails, BadResponseError on an answer the protocol does not
 * allow, FileError when the file cannot be read. After a rejection the
 * connection may be mid-upload: the caller should retry on a new one or
 * start the file again from packet 1.
 */
export async function uploadFile(
  path: string,
  options: UploadOptions,
): Promise<UploadResult> {
  const { fileName, plan } = await inspectFile(path);
  const { client, clientId } = options;
  for (let attempt = 1;; attempt++) {
    const { response, checksum } = await sendFile(path, {
      ...options,
      fileName,
      plan,
      attempt,
      // Some servers answer 1030 with 1604 (docs/protocol.md, dialects).
      ackMayPrecede: attempt > 1,
    });
    if (response.code === ResponseCode.SERVER_ERROR) {
      throw new ServerError(`Server refused ${fileName} (1607)`);
    }
    if (response.code !== ResponseCode.FILE_RECEIVED) {
      throw new BadResponseError(
        `Cannot upload ${fileName}: expected 1603 after the last packet, got ${response.code}`,
      );
    }
    if (response.fileName !== fileName) {
      throw new BadResponseError(
        `Cannot upload ${fileName}: server confirmed "${response.fileName}" instead`,
      );
    }
    const difference = checkReceipt(response, { checksum, plan });
    if (difference === undefined) {
      options.onConfirm?.();
      await expectAck(
        client,
        { code: RequestCode.CRC_OK, clientId, fileName },
        fileName,
      );
      return { verified: true, fileName, size: plan.origFileSize, checksum };
    }
    options.onMismatch?.({ attempt, difference });
    if (attempt < CHECKSUM_ATTEMPTS) {
      await client.send({ code: RequestCode.CRC_RETRY, clientId, fileName });
      continue;
    }
    await expectAck(
      client,
      { code: RequestCode.CRC_ABORT, clientId, fileName },
      fileName,
    );
    return {
      verified: false,
      fileName,
      reason: `not verified after ${CHECKSUM_ATTEMPTS} attempts: ${difference}`,
    };
  }
}

async function expectAck(
  client: ProtocolClient,
  request: {
    code: typeof RequestCode.CRC_OK | typeof RequestCode.CRC_ABORT;
    clientId: Uint8Array;
    fileName: string;
  },
  fileName: string,
): Promise<void> {
  const response = await client.request(request);
  if (response.code === ResponseCode.ACK) return;
  if (response.code === ResponseCode.SERVER_ERROR) {
    throw new ServerError(
      `Server refused checksum verdict ${request.code} for ${fileName} (1607)`,
    );
  }
  throw new BadResponseError(
    `Cannot settle ${fileName}: expected 1604 after ${request.code}, got ${response.code}`,
  );
}
