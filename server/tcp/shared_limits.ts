/**
 * Connection limits shared by every TCP worker through one
 * SharedArrayBuffer, so the limit holds across the pool and an
 * administrator's change reaches live workers at once.
 * @module
 */
import type { RuntimeLimitValues } from "../config.ts";

const ACTIVE = 0;
const MAX = 1;
const IDLE_MS = 2;
/** Cells from here on count each worker's connections. */
const PER_WORKER = 3;
/** The most workers a pool may have (config's --workers range). */
export const MAX_WORKERS = 64;
const SLOTS = PER_WORKER + MAX_WORKERS;

/** Active-connection count and runtime limits in shared memory. */
export class SharedLimits {
  readonly buffer: SharedArrayBuffer;
  #cells: Int32Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#cells = new Int32Array(buffer);
  }

  /** New shared limits with these starting values and no connection. */
  static create(values: RuntimeLimitValues): SharedLimits {
    const limits = new SharedLimits(
      new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT),
    );
    limits.set(values);
    return limits;
  }

  /** A view of limits that another thread created. */
  static from(buffer: SharedArrayBuffer): SharedLimits {
    return new SharedLimits(buffer);
  }

  /** Connections being served right now, over the whole pool. */
  get active(): number {
    return Atomics.load(this.#cells, ACTIVE);
  }

  /** The current limit values. */
  get(): RuntimeLimitValues {
    return {
      maxConnections: Atomics.load(this.#cells, MAX),
      idleTimeoutMs: Atomics.load(this.#cells, IDLE_MS),
    };
  }

  /** Changes limits; live connections above a lowered maximum are kept. */
  set(values: Partial<RuntimeLimitValues>): void {
    if (values.maxConnections !== undefined) {
      Atomics.store(this.#cells, MAX, values.maxConnections);
    }
    if (values.idleTimeoutMs !== undefined) {
      Atomics.store(this.#cells, IDLE_MS, values.idleTimeoutMs);
    }
  }

  /** Takes a connection slot for `worker`; false when the pool is full. */
  tryAcquire(worker: number): boolean {
    for (;;) {
      const active = Atomics.load(this.#cells, ACTIVE);
      if (active >= Atomics.load(this.#cells, MAX)) return false;
      if (
        Atomics.compareExchange(this.#cells, ACTIVE, active, active + 1) ===
          active
      ) {
        Atomics.add(this.#cells, PER_WORKER + worker, 1);
        return true;
      }
    }
  }

  /** Gives a slot of `worker` back. */
  release(worker: number): void {
    Atomics.sub(this.#cells, PER_WORKER + worker, 1);
    Atomics.sub(this.#cells, ACTIVE, 1);
  }

  /**
   * Gives back every slot a dead worker still held; returns how many. Only
   * once the worker is terminated, so that it cannot release them too.
   */
  reclaim(worker: number): number {
    const held = Atomics.exchange(this.#cells, PER_WORKER + worker, 0);
    Atomics.sub(this.#cells, ACTIVE, held);
    return held;
  }
}
