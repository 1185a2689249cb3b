/**
 * Per-address limits shared by every TCP worker through one
 * SharedArrayBuffer: how many connections one address holds, and a token
 * bucket of registrations per address. Addresses are hashed into a fixed
 * table, so memory stays the same whatever a flood sends; two addresses
 * that share a bucket share its limits (rare with 4096 buckets, and only
 * ever stricter).
 * @module
 */

const BUCKETS = 4096;
/** Int32 cells: [connections × BUCKETS][next registration time × BUCKETS]. */
const CONNECTIONS = 0;
const TOKENS = BUCKETS;
/** Time unit of the token bucket (ms); Int32 of these spans years. */
const TICK_MS = 10;

/** The settings of {@link AddressLimits}. */
export interface AddressLimitValues {
  /** Concurrent connections one address may hold. */
  maxPerAddress: number;
  /** Registrations per minute and address; also the burst. */
  registerRate: number;
}

/** FNV-1a of the address text, folded to a bucket index. */
function bucketOf(address: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    hash = Math.imul(hash ^ address.charCodeAt(i), 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}

/** The host part of `host:port` (IPv6 hosts keep their colons). */
export function hostOf(remote: string): string {
  const colon = remote.lastIndexOf(":");
  return colon < 0 ? remote : remote.slice(0, colon);
}

/** Connection counts and registration buckets per remote address. */
export class AddressLimits {
  readonly buffer: SharedArrayBuffer;
  readonly values: AddressLimitValues;
  #cells: Int32Array;
  #epoch: number;

  private constructor(
    buffer: SharedArrayBuffer,
    values: AddressLimitValues,
    epoch: number,
  ) {
    this.buffer = buffer;
    this.values = values;
    this.#cells = new Int32Array(buffer, 8);
    this.#epoch = epoch;
  }

  /** New, empty limits; `now` is the clock (injectable for tests). */
  static create(values: AddressLimitValues, now = Date.now()): AddressLimits {
    const buffer = new SharedArrayBuffer(8 + 2 * BUCKETS * 4);
    new Float64Array(buffer, 0, 1)[0] = now;
    return new AddressLimits(buffer, values, now);
  }

  /** A view of limits another thread created. */
  static from(
    buffer: SharedArrayBuffer,
    values: AddressLimitValues,
  ): AddressLimits {
    return new AddressLimits(buffer, values, new Float64Array(buffer, 0, 1)[0]);
  }

  /** Connections `host` holds now. */
  connections(host: string): number {
    return Atomics.load(this.#cells, CONNECTIONS + bucketOf(host));
  }

  /** Takes a connection for `host`; false when it holds the most allowed. */
  tryConnect(host: string): boolean {
    const cell = CONNECTIONS + bucketOf(host);
    for (;;) {
      const held = Atomics.load(this.#cells, cell);
      if (held >= this.values.maxPerAddress) return false;
      if (Atomics.compareExchange(this.#cells, cell, held, held + 1) === held) {
        return true;
      }
    }
  }

  /** Gives back a connection of `host`. */
  disconnect(host: string): void {
    Atomics.sub(this.#cells, CONNECTIONS + bucketOf(host), 1);
  }

  /**
   * Spends one registration token of `host` (GCRA: one cell holds the time
   * its bucket is next full). False when the bucket is empty.
   */
  tryRegister(host: string, now = Date.now()): boolean {
    const cell = TOKENS + bucketOf(host);
    const interval = Math.max(
      1,
      Math.round(60_000 / this.values.registerRate / TICK_MS),
    );
    const burst = interval * this.values.registerRate;
    const tick = Math.floor((now - this.#epoch) / TICK_MS);
    for (;;) {
      const stored = Atomics.load(this.#cells, cell);
      const next = Math.max(stored, tick) + interval;
      if (next - tick > burst) return false;
      if (Atomics.compareExchange(this.#cells, cell, stored, next) === stored) {
        return true;
      }
    }
  }
}
