/**
 * The administrator account: made on first start with a random password
 * that main.ts prints once; changed later with `cyberbackup admin set-password`.
 * @module
 */
import {
  hashPassword,
  hashPasswordSync,
  randomPassword,
} from "../portal/auth/password.ts";
import type { BackupStorage } from "../storage/types.ts";
import { endSessionsOf } from "../portal/auth/sessions.ts";

/** The account made on first start. */
export const ADMIN_USER = "admin";

/** Shortest password `set-password` accepts. */
export const MIN_PASSWORD_LENGTH = 8;

/**
 * Creates user "admin" with a random password when no administrator exists
 * yet, and returns that password so the caller can show it once; returns
 * undefined when an administrator already exists.
 */
export function ensureAdminAccount(
  db: Pick<BackupStorage, "admins">,
): string | undefined {
  if (db.admins.count() > 0) return undefined;
  const password = randomPassword();
  db.admins.setHash(ADMIN_USER, hashPasswordSync(password));
  return password;
}

/**
 * Sets (or creates) an administrator's password, after checking its
 * length, and ends every portal session of that administrator but the
 * one that asked. The hash is made off the calling thread: the portal
 * serves everyone else meanwhile.
 */
export async function setAdminPassword(
  db: Pick<BackupStorage, "admins" | "portalSessions" | "transaction">,
  user: string,
  password: string,
  options: {
    /** The portal session that asked for the change: it stays signed in. */
    keepSession?: string;
  } = {},
): Promise<void> {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new RangeError(
      `Cannot set password: it must have at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  }
  if (!/^[\x21-\x7e]{1,100}$/.test(user)) {
    throw new TypeError(
      "Cannot set password: the user name must be 1-100 printable ASCII characters",
    );
  }
  const hash = await hashPassword(password);
  db.transaction(() => {
    db.admins.setHash(user, hash);
    // Whoever signed in with the old password is signed out.
    endSessionsOf(db.portalSessions, user, options.keepSession);
  });
}
