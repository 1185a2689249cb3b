/**
 * The client id as text: 32 hex characters for its 16 bytes, as `me.info`,
 * the portal's URLs and the JSON API write it (docs/protocol.md, "Client
 * state files"). Pure.
 * @module
 */
import { fromHex } from "../../shared/encoding.ts";
import { Size } from "./constants.ts";

const CLIENT_ID_HEX = new RegExp(`^[0-9a-fA-F]{${2 * Size.CLIENT_ID}}$`);

/** True when `text` is a client id in hex (either case). */
export function isClientIdHex(text: string): boolean {
  return CLIENT_ID_HEX.test(text);
}

/**
 * The 16 bytes of a client id written as 32 hex characters; undefined when
 * `text` is not one.
 *
 * @example
 * parseClientIdHex("00ff".repeat(8)); // Uint8Array(16) [0, 255, ...]
 */
export function parseClientIdHex(text: string): Uint8Array | undefined {
  return isClientIdHex(text) ? fromHex(text) : undefined;
}
