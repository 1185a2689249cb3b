/**
 * Per-address limit on how many sessions may be opened within a window:
 * registering and reconnecting cost an RSA encryption and a database write,
 * so one address must not be able to spin them in a loop. Memory is
 * bounded by `maxAddresses`.
 * @module
 */

/** Options of {@linkcode RateLimiter}. */
export interface RateLimitOptions {
  /** Sessions one address may open per window (default 30). */
  limit?: number;
  /** Window length in ms (default 60 000). */
  windowMs?: number;
  /** Addresses remembered at most (default 10 000). */
  maxAddresses?: number;
  now?: () => number;
}

/** A sliding-window counter per address. */
export class RateLimiter {
  readonly #hits = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  readonly #now: () => number;

  constructor(options: RateLimitOptions = {}) {
    this.#limit = options.limit ?? 30;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxAddresses = options.maxAddresses ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Counts one attempt from `address`. Returns 0 when it is allowed, else
   * the milliseconds until it would be (the attempt is then not counted).
   */
  take(address: string): number {
    const now = this.#now();
    const since = now - this.#windowMs;
    const recent = (this.#hits.get(address) ?? []).filter((t) => t > since);
    if (recent.length >= this.#limit) {
      this.#hits.set(address, recent);
      return recent[recent.length - this.#limit] + this.#windowMs - now;
    }
    if (!this.#hits.has(address) && this.#hits.size >= this.#maxAddresses) {
      this.#prune(since);
    }
    recent.push(now);
    this.#hits.set(address, recent);
    return 0;
  }

  #prune(since: number): void {
    for (const [address, times] of this.#hits) {
      if (times.every((t) => t <= since)) this.#hits.delete(address);
    }
    // Still full: forget the oldest entries rather than grow.
    for (const address of this.#hits.keys()) {
      if (this.#hits.size < this.#maxAddresses) break;
      this.#hits.delete(address);
    }
  }
}
