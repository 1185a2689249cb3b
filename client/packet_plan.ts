/**
 * How a file is cut into 1028 packets: sizes that fit the protocol's u32
 * and u16 fields. See `docs/protocol.md`, "Flow" step 4.
 * @module
 */
import { MAX_PACKETS, MAX_U32, Size } from "../server/protocol/constants.ts";

/** Smallest packet content the client sends (the last packet may be shorter). */
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
 * AES-CBC with PKCS#7 padding: the plaintext size rounded up to the next
 * multiple of 16, a whole extra block when it already is one.
 */
export function cipherSize(plainSize: number): number {
  return (Math.floor(plainSize / Size.AES_BLOCK) + 1) * Size.AES_BLOCK;
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
  const contentSize = cipherSize(plainSize);
  if (contentSize > MAX_U32) {
    throw new RangeError(
      `Cannot upload a file of ${plainSize} bytes: its encrypted size ${contentSize} exceeds ${MAX_U32}`,
    );
  }
  const spread = Math.ceil(contentSize / MAX_PACKETS);
  const packetSize = Math.max(
    MIN_PACKET_CONTENT,
    Math.ceil(spread / Size.AES_BLOCK) * Size.AES_BLOCK,
  );
  return {
    origFileSize: plainSize,
    contentSize,
    packetSize,
    totalPackets: Math.ceil(contentSize / packetSize),
  };
}
