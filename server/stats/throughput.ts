/**
 * A per-second ring of byte counts: the data behind the dashboard's
 * throughput chart. Fixed memory whatever the traffic.
 * @module
 */

/** Counts bytes into one-second buckets and keeps the last `seconds` of them. */
export class ThroughputRing {
  readonly #buckets: Float64Array;
  /** Epoch second of the newest bucket. */
  #newest: number;

  /**
   * @param seconds how much history to keep (300 for five minutes)
   * @param now epoch milliseconds at creation
   */
  constructor(seconds: number, now: number) {
    if (!Number.isInteger(seconds) || seconds < 1) {
      throw new RangeError(
        "Cannot create throughput ring: seconds must be a positive integer",
      );
    }
    this.#buckets = new Float64Array(seconds);
    this.#newest = Math.floor(now / 1000);
  }

  /** Adds `bytes` to the bucket of the second that holds `now`. */
  add(bytes: number, now: number): void {
    this.#advance(now);
    const size = this.#buckets.length;
    this.#buckets[this.#newest % size] += bytes;
  }

  /** Bytes per second, oldest first, ending with the current (partial) second. */
  history(now: number): number[] {
    this.#advance(now);
    const size = this.#buckets.length;
    const out = new Array<number>(size);
    for (let i = 0; i < size; i++) {
      out[i] = this.#buckets[(this.#newest + 1 + i) % size];
    }
    return out;
  }

  #advance(now: number): void {
    const second = Math.floor(now / 1000);
    if (second <= this.#newest) return;
    const size = this.#buckets.length;
    const steps = Math.min(second - this.#newest, size);
    for (let i = 1; i <= steps; i++) {
      this.#buckets[(this.#newest + i) % size] = 0;
    }
    this.#newest = second;
  }
}
