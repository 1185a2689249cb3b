/**
 * Sign-in throttling per client address and per account, each with an
 * exponential backoff once its free failures are used up. An attempt made
 * while a wait is pending is refused without being counted, so it never
 * extends the wait.
 *
 * The address wait grows to an hour: a guesser from one address soon gets
 * one try an hour. The account wait stays at a few seconds on purpose: any
 * longer account-wide lock would let a stranger, trying now and then from
 * elsewhere, keep the real administrator out for good; it only slows
 * guessing spread over many addresses.
 * @module
 */

/** When failures start to cost, and how much. */
export interface BackoffPolicy {
  /** Failures allowed before the first wait. */
  free: number;
  /** The first wait; each further failure doubles it. */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
  /** Failures are forgotten after this long without a new one. */
  forgetMs: number;
}

/** Per address: 5 free, then 30 s doubling up to 1 h. */
export const ADDRESS_POLICY: BackoffPolicy = {
  free: 5,
  baseMs: 30_000,
  maxMs: 3600_000,
  forgetMs: 3600_000,
};

/** Per account: 10 free, then 250 ms doubling up to 2 s. */
export const ACCOUNT_POLICY: BackoffPolicy = {
  free: 10,
  baseMs: 250,
  maxMs: 2000,
  forgetMs: 3600_000,
};

interface Failures {
  count: number;
  last: number;
}

/** Failure counts for one kind of key, bounded in number. */
class Backoff {
  readonly #failures = new Map<string, Failures>();

  constructor(
    readonly policy: BackoffPolicy,
    readonly maxKeys: number,
    readonly now: () => number,
  ) {}

  retryAfter(key: string): number {
    const entry = this.#live(key);
    if (!entry || entry.count < this.policy.free) return 0;
    const wait = Math.min(
      this.policy.maxMs,
      this.policy.baseMs * 2 ** (entry.count - this.policy.free),
    );
    return Math.max(0, entry.last + wait - this.now());
  }

  fail(key: string): void {
    const entry = this.#live(key) ?? { count: 0, last: 0 };
    entry.count = Math.min(entry.count + 1, 64);
    entry.last = this.now();
    // Re-inserting keeps the map in order of last failure, oldest first.
    this.#failures.delete(key);
    this.#failures.set(key, entry);
    for (const oldest of this.#failures.keys()) {
      if (this.#failures.size <= this.maxKeys) break;
      this.#failures.delete(oldest);
    }
  }

  clear(key: string): void {
    this.#failures.delete(key);
  }

  #live(key: string): Failures | undefined {
    const entry = this.#failures.get(key);
    if (entry && this.now() - entry.last > this.policy.forgetMs) {
      this.#failures.delete(key);
      return undefined;
    }
    return entry;
  }
}

/** Counts failed sign-ins per address and per account. */
export class SignInThrottle {
  readonly #addresses: Backoff;
  readonly #accounts: Backoff;

  constructor(
    options: {
      address?: BackoffPolicy;
      account?: BackoffPolicy;
      maxAddresses?: number;
      now?: () => number;
    } = {},
  ) {
    const now = options.now ?? Date.now;
    const max = options.maxAddresses ?? 10_000;
    this.#addresses = new Backoff(options.address ?? ADDRESS_POLICY, max, now);
    this.#accounts = new Backoff(options.account ?? ACCOUNT_POLICY, max, now);
  }

  /** Milliseconds before `address` may try `user` again; 0 when it may try now. */
  retryAfter(address: string, user: string): number {
    return Math.max(
      this.#addresses.retryAfter(address),
      this.#accounts.retryAfter(user),
    );
  }

  /** Records a failed attempt. */
  fail(address: string, user: string): void {
    this.#addresses.fail(address);
    this.#accounts.fail(user);
  }

  /** Forgets the failures of an address, and of the account, that signed in. */
  succeed(address: string, user: string): void {
    this.#addresses.clear(address);
    this.#accounts.clear(user);
  }
}
