/**
 * Validation of user names, beyond what the codec already checked
 * (ASCII, printable, NUL-terminated, at most 254 characters).
 * @module
 */

/** Why a name cannot be registered, or undefined when it can. */
export function checkUserName(name: string): string | undefined {
  if (name.length === 0) return "name is empty";
  if (name.trim() !== name) return "name starts or ends with white space";
  return undefined;
}
