/**
 * Per-address limits shared by every TCP worker through one
 * SharedArrayBuffer: how many connections one address holds, and a token
 * bucket of registrations per address. Addresses are hashed into a fixed
 * table, so memory stays the same whatever a flood sends; two addresses
 * that share a bucket share its limits (rare with 4096 buckets, and only
 * ever stricter). The hash is keyed by a random seed made at start, so a
 * peer cannot choose addresses that land in someone else's bucket; an IPv6
 * peer counts by its /64, the block one subscriber usually holds.
 * @module
 */

const BUCKETS = 4096;
/** Header bytes: the epoch (Float64), then the hash seed (Uint32). */
const HEADER = 16;
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

/** FNV-1a of the address's limit key, seeded, folded to a bucket index. */
function bucketOf(seed: number, address: string): number {
  const key = limitKey(address);
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) {
    hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}

/**
 * What one peer's limits are counted by: an IPv4 address itself (also when
 * IPv4-mapped), an IPv6 address by its first 64 bits.
 */
export function limitKey(host: string): string {
  if (!host.includes(":")) return host;
  if (host.includes(".")) return host.slice(host.lastIndexOf(":") + 1);
  const [head, tail] = host.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined
    ? left
    : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return groups.slice(0, 4).map((g) => parseInt(g || "0", 16).toString(16))
    .join(":") + "::/64";
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
  #seed: number;

  private constructor(
    buffer: SharedArrayBuffer,
    values: AddressLimitValues,
    epoch: number,
  ) {
    this.buffer = buffer;
    this.values = values;
    this.#cells = new Int32Array(buffer, HEADER);
    this.#epoch = epoch;
    this.#seed = new Uint32Array(buffer, 8, 1)[0];
  }

  /**
   * New, empty limits; `now` is the clock and `seed` the hash key (random
   * unless a test fixes it).
   */
  static create(
    values: AddressLimitValues,
    now = Date.now(),
    seed?: number,
  ): AddressLimits {
    const buffer = new SharedArrayBuffer(HEADER + 2 * BUCKETS * 4);
    new Float64Array(buffer, 0, 1)[0] = now;
    const seedCell = new Uint32Array(buffer, 8, 1);
    if (seed === undefined) crypto.getRandomValues(seedCell);
    else seedCell[0] = seed;
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
    return Atomics.load(this.#cells, CONNECTIONS + bucketOf(this.#seed, host));
  }

  /** Takes a connection for `host`; false when it holds the most allowed. */
  tryConnect(host: string): boolean {
    const cell = CONNECTIONS + bucketOf(this.#seed, host);
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
    Atomics.sub(this.#cells, CONNECTIONS + bucketOf(this.#seed, host), 1);
  }

  /**
   * Spends one registration token of `host` (GCRA: one cell holds the time
   * its bucket is next full). False when the bucket is empty.
   */
  tryRegister(host: string, now = Date.now()): boolean {
    const cell = TOKENS + bucketOf(this.#seed, host);
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
