/**
 * Sign-in throttling: after `limit` failed attempts from one address within
 * `windowMs`, that address must wait until the oldest failure leaves the
 * window. Memory is bounded by `maxAddresses`.
 * @module
 */

/** Counts failed sign-ins per address in a sliding window. */
export class SignInThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  readonly #now: () => number;

  constructor(
    options: {
      limit?: number;
      windowMs?: number;
      maxAddresses?: number;
      now?: () => number;
    } = {},
  ) {
    this.#limit = options.limit ?? 5;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxAddresses = options.maxAddresses ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds `address` must still wait before it may try again; 0 when it may try now. */
  retryAfter(address: string): number {
    const recent = this.#recent(address);
    if (recent.length < this.#limit) return 0;
    return recent[recent.length - this.#limit] + this.#windowMs - this.#now();
  }

  /** Records a failed attempt. */
  fail(address: string): void {
    if (
      !this.#failures.has(address) && this.#failures.size >= this.#maxAddresses
    ) this.#prune();
    const recent = this.#recent(address);
    recent.push(this.#now());
    this.#failures.set(address, recent.slice(-this.#limit));
  }

  /** Forgets the failures of an address that signed in. */
  succeed(address: string): void {
    this.#failures.delete(address);
  }

  #recent(address: string): number[] {
    const since = this.#now() - this.#windowMs;
    return (this.#failures.get(address) ?? []).filter((time) => time > since);
  }

  #prune(): void {
    const since = this.#now() - this.#windowMs;
    for (const [address, times] of this.#failures) {
      if (times.every((time) => time <= since)) this.#failures.delete(address);
    }
    // Still full of recent offenders: drop the oldest entries rather than grow.
    for (const address of this.#failures.keys()) {
      if (this.#failures.size < this.#maxAddresses) break;
      this.#failures.delete(address);
    }
  }
}
