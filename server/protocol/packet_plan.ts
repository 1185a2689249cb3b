/**
 * How a file travels in 1028 packets: the ciphertext size AES-CBC gives it
 * and packet sizes that fit the protocol's u32 and u16 fields (see
 * docs/protocol.md, "Flow" step 4). Pure: the server checks announced sizes
 * with it, the command-line client and the browser plan their uploads with it.
 * @module
 */
import { MAX_PACKETS, MAX_U32, Size } from "./constants.ts";

const BLOCK = Size.AES_BLOCK;

/** Smallest packet content the command-line client sends (the last packet may be shorter). */
export const MIN_PACKET_CONTENT = 1024 * 1024;

/** How one file travels. */
export interface PacketPlan {
  origFileSize: number;
  /** Size of the whole ciphertext: the plaintext padded to the next block. */
  contentSize: number;
  /** Ciphertext bytes in every packet but the last. */
  packetSize: number;
  totalPackets: number;
}

/**
 * The ciphertext size for `plainSize` bytes: the next multiple of 16, a full
 * block more when already a multiple (PKCS#7 always pads). The server checks
 * a file packet's announced sizes against it before decrypting anything.
 *
 * @example
 * encryptedSize(16); // 32
 */
export function encryptedSize(plainSize: number): number {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0) {
    throw new RangeError(
      `Cannot compute encrypted size: ${plainSize} is not a byte count`,
    );
  }
  return plainSize + BLOCK - (plainSize % BLOCK);
}

/**
 * Bytes per packet for `bytes` bytes cut into packets: `wanted` rounded down
 * to whole AES blocks (at least one), raised as far as the 65,535 packets
 * of the u16 count need, and at most `most` (rounded down to whole blocks).
 * Throws RangeError when no size fits under `most`.
 */
export function packetSize(
  bytes: number,
  options: { wanted: number; most?: number },
): number {
  const least = Math.ceil(bytes / MAX_PACKETS / BLOCK) * BLOCK;
  const wanted = Math.max(BLOCK, Math.floor(options.wanted / BLOCK) * BLOCK);
  const most = options.most === undefined
    ? Infinity
    : Math.floor(options.most / BLOCK) * BLOCK;
  const size = Math.min(most, Math.max(wanted, least));
  if (size < least || size < BLOCK) {
    throw new RangeError(
      `Cannot plan upload: ${bytes} bytes need more than ${MAX_PACKETS} packets of at most ${options.most} bytes`,
    );
  }
  return size;
}

/**
 * Plans the packets of a `plainSize`-byte file: content of at least 1 MiB
 * per packet, more when needed so that even a 4 GiB file fits in 65,535
 * packets. Throws RangeError when the sizes cannot travel in the u32 fields.
 */
export function planPackets(plainSize: number): PacketPlan {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0) {
    throw new RangeError(`Cannot plan upload: bad file size ${plainSize}`);
  }
  if (plainSize > MAX_U32) {
    throw new RangeError(
      `Cannot upload a file of ${plainSize} bytes: the protocol allows at most ${MAX_U32}`,
    );
  }
  const contentSize = encryptedSize(plainSize);
  if (contentSize > MAX_U32) {
    throw new RangeError(
      `Cannot upload a file of ${plainSize} bytes: its encrypted size ${contentSize} exceeds ${MAX_U32}`,
    );
  }
  const size = packetSize(contentSize, { wanted: MIN_PACKET_CONTENT });
  return {
    origFileSize: plainSize,
    contentSize,
    packetSize: size,
    totalPackets: Math.ceil(contentSize / size),
  };
}
