/**
 * User names: one rule for the server, the command-line client and the
 * browser. A name is printable ASCII without a leading or trailing space.
 * Its length has two limits: what the wire carries (the 255-byte `Name`
 * field minus its NUL, 254) and what a client makes (`transfer.info` allows
 * 100 characters; docs/protocol.md, "Client state files"). The server
 * accepts every name the wire carries, so a client made with another tool
 * is never refused; the clients stay within 100. Pure.
 * @module
 */
import { Size } from "./constants.ts";

/** Longest user name the `Name` field carries: 255 bytes minus the NUL. */
export const MAX_WIRE_USER_NAME = Size.NAME - 1;
/** Longest user name a client makes or reads from `transfer.info` / `me.info`. */
export const MAX_USER_NAME = 100;

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * Why `name` cannot be a user name, or undefined when it can. `max` is the
 * longest allowed: {@link MAX_USER_NAME} (the default) for clients,
 * {@link MAX_WIRE_USER_NAME} for the server.
 *
 * @example
 * checkUserName("alice"); // undefined
 * checkUserName(" alice"); // "user name starts or ends with a space"
 */
export function checkUserName(
  name: string,
  max: number = MAX_USER_NAME,
): string | undefined {
  if (name.length === 0) return "user name is empty";
  if (name.length > max) {
    return `user name has ${name.length} characters, at most ${max} allowed`;
  }
  if (!PRINTABLE_ASCII.test(name)) return "user name must be printable ASCII";
  if (name.trim() !== name) return "user name starts or ends with a space";
  return undefined;
}
