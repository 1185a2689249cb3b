/**
 * The keys of the restore extension, derived from the session AES key
 * (docs/protocol.md, "Restore extension"): the 1100 proof (HMAC-SHA256) and
 * each stream's AES-256-GCM key (HKDF-SHA256 with the stream's random salt).
 * @module
 */
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import {
  proofMessage,
  type RestoreRequest,
  streamKeyInfo,
} from "../protocol/restore_codec.ts";

/** The 32-byte proof a holder of `aesKey` sends in 1100. */
export function keyProofTag(
  aesKey: Uint8Array,
  clientId: Uint8Array,
): Uint8Array {
  const mac = createHmac("sha256", aesKey).update(proofMessage(clientId))
    .digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, mac.byteLength);
}

/** True when `proof` is the 1100 proof for `aesKey` and `clientId` (constant time). */
export function checkKeyProofTag(
  aesKey: Uint8Array,
  clientId: Uint8Array,
  proof: Uint8Array,
): boolean {
  const expected = keyProofTag(aesKey, clientId);
  return proof.length === expected.length && timingSafeEqual(proof, expected);
}

/** The AES-256-GCM key of the stream that answers `request`. */
export function streamKey(
  aesKey: Uint8Array,
  salt: Uint8Array,
  request: RestoreRequest,
): Uint8Array {
  return new Uint8Array(
    hkdfSync("sha256", aesKey, salt, streamKeyInfo(request), 32),
  );
}
