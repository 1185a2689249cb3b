/**
 * Password hashing with scrypt (node:crypto). The stored form carries its
 * own parameters and salt, `scrypt$N$r$p$salt$hash` (base64), so the cost
 * can be raised later without breaking existing hashes.
 * @module
 */
import { Buffer } from "node:buffer";
import {
  randomBytes,
  scrypt,
  type ScryptOptions,
  scryptSync,
  timingSafeEqual,
} from "node:crypto";

/** scrypt cost parameters. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** About 50 ms and 16 MiB per hash on a laptop: slow for guessing, fine for sign-in. */
export const DEFAULT_COST: ScryptCost = { N: 16384, r: 8, p: 1 };

const KEY_LENGTH = 64;
const SALT_LENGTH = 16;

/** Hashes `password` with a fresh random salt. */
export async function hashPassword(
  password: string,
  cost: ScryptCost = DEFAULT_COST,
): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, cost);
  return format(cost, salt, key);
}

/** Like {@link hashPassword}, for start-up code that cannot await. */
export function hashPasswordSync(
  password: string,
  cost: ScryptCost = DEFAULT_COST,
): string {
  const salt = randomBytes(SALT_LENGTH);
  const key = scryptSync(
    password.normalize("NFC"),
    salt,
    KEY_LENGTH,
    scryptOptions(cost),
  );
  return format(cost, salt, key);
}

/** True when `password` matches `stored`; false for a wrong password or a malformed hash. */
export async function verifyPassword(
  password: string,
  stored: string,
): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return false;
  const salt = Buffer.from(parts[4], "base64");
  const expected = Buffer.from(parts[5], "base64");
  if (expected.length !== KEY_LENGTH) return false;
  const key = await derive(password, salt, { N, r, p });
  return timingSafeEqual(key, expected);
}

/** A random password of 20 URL-safe characters (120 bits). */
export function randomPassword(): string {
  return randomBytes(15).toString("base64url");
}

function format(cost: ScryptCost, salt: Buffer, key: Buffer): string {
  return [
    "scrypt",
    cost.N,
    cost.r,
    cost.p,
    salt.toString("base64"),
    key.toString("base64"),
  ].join("$");
}

function scryptOptions(cost: ScryptCost): ScryptOptions {
  return { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r };
}

function derive(
  password: string,
  salt: Buffer,
  cost: ScryptCost,
): Promise<Buffer> {
  const options = scryptOptions(cost);
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize("NFC"),
      salt,
      KEY_LENGTH,
      options,
      (error, key) => {
        if (error) reject(error);
        else resolve(key);
      },
    );
  });
}
