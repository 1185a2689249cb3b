/**
 * The TCP side of the server in the main thread: starts the worker pool on
 * one port, relays worker events and logs, replaces a worker that dies
 * (giving back the connection slots it held), and stops the pool within
 * its grace period whatever state the workers are in.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { RuntimeLimitValues } from "../config.ts";
import { emitForwarded } from "../logging.ts";
import type { EventSink } from "../stats/events.ts";
import { AddressLimits, hostOf } from "./address_limits.ts";
import { SharedLimits } from "./shared_limits.ts";
import type { FromWorker, ToWorker, WorkerConfig } from "./worker_messages.ts";

const logger = getLogger(["cyberbackup", "tcp"]);

const WORKER_URL = new URL("./worker.ts", import.meta.url);

/** Pause before starting a replacement worker, so a crash loop cannot spin. */
const RESTART_DELAY_MS = 500;
/** Beyond the grace period, how long workers get to report they stopped. */
const STOP_SLACK_MS = 2000;

function send(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}

/** One place in the pool: the worker in it and the connections it serves. */
interface Slot {
  index: number;
  worker?: Worker;
  /** Open connections (id → remote address), from the worker's events. */
  open: Map<string, string>;
  /** Resolves `stop` once the worker says it stopped. */
  onStopped?: () => void;
}

/** What starting a worker needs from the pool. */
interface StartOptions {
  config: WorkerConfig;
  limits: SharedLimits;
  addresses: AddressLimits;
  onEvent: EventSink;
  workerUrl: URL;
}

/**
 * Checks that no one listens on the port by binding it alone, and returns
 * it (the real one for port 0). Binding with SO_REUSEPORT would succeed
 * beside another server that uses it too, another CyberBackup for one,
 * and the kernel would then split the clients between two databases.
 */
function claimPort(host: string, port: number): number {
  let alone: Deno.Listener;
  try {
    alone = Deno.listen({ hostname: host, port });
  } catch (error) {
    throw new Error(
      `Cannot listen on ${host}:${port}: ${
        (error as Error).message
      } (choose another port with --port)`,
      { cause: error },
    );
  }
  const claimed = (alone.addr as Deno.NetAddr).port;
  alone.close();
  return claimed;
}

/** The running pool of TCP workers sharing one port. */
export class TcpServer {
  readonly port: number;
  readonly limits: SharedLimits;
  readonly addresses: AddressLimits;
  #slots: Slot[];
  #options: StartOptions;
  #stopped = false;

  private constructor(port: number, slots: Slot[], options: StartOptions) {
    this.port = port;
    this.limits = options.limits;
    this.addresses = options.addresses;
    this.#slots = slots;
    this.#options = options;
  }

  /**
   * Binds the port, starts `workers` workers listening on it and resolves
   * once all accept connections. Port 0 picks a free port.
   */
  static async start(options: {
    config: WorkerConfig;
    workers: number;
    limits: RuntimeLimitValues;
    onEvent: EventSink;
    /** The worker module; tests substitute one that fails on purpose. */
    workerUrl?: URL;
  }): Promise<TcpServer> {
    const { host } = options.config;
    // Hold the port (with SO_REUSEPORT, which the workers share it with)
    // while they start; port 0 resolves here to the real port.
    const probe = Deno.listen({
      hostname: host,
      port: claimPort(host, options.config.port),
      reusePort: true,
    });
    const port = (probe.addr as Deno.NetAddr).port;
    const start: StartOptions = {
      config: { ...options.config, port },
      limits: SharedLimits.create(options.limits),
      addresses: AddressLimits.create(options.config),
      onEvent: options.onEvent,
      workerUrl: options.workerUrl ?? WORKER_URL,
    };
    const slots: Slot[] = Array.from(
      { length: options.workers },
      (_, index) => ({ index, open: new Map() }),
    );
    let server: TcpServer | undefined;
    try {
      const started = await Promise.allSettled(
        slots.map((slot) =>
          startWorker(slot, start, () => {
            if (server) server.#replace(slot);
          })
        ),
      );
      const failure = started.find((s) => s.status === "rejected");
      if (failure) {
        for (const slot of slots) slot.worker?.terminate();
        throw new Error(
          `Cannot start TCP server on port ${port}: ${failure.reason?.message}`,
        );
      }
      server = new TcpServer(port, slots, start);
      return server;
    } finally {
      probe.close();
    }
  }

  /** Workers accepting connections right now. */
  get liveWorkers(): number {
    return this.#slots.filter((slot) => slot.worker).length;
  }

  /** True while at least one worker listens and `stop` was not called. */
  get listening(): boolean {
    return !this.#stopped && this.liveWorkers > 0;
  }

  /**
   * A worker died: its connections died with it. Gives back their slots
   * (pool, per address, live statistics), then starts a replacement.
   */
  async #replace(slot: Slot): Promise<void> {
    slot.worker?.terminate();
    slot.worker = undefined;
    slot.onStopped?.();
    for (const [conn, remote] of slot.open) {
      this.addresses.disconnect(hostOf(remote));
      this.#options.onEvent({ type: "disconnect", conn });
    }
    slot.open.clear();
    const reclaimed = this.limits.reclaim(slot.index);
    logger.error(
      "TCP worker {index} died; {count} connection slots given back, starting a new one",
      { index: slot.index, count: reclaimed },
    );
    while (!this.#stopped) {
      await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
      if (this.#stopped) return;
      try {
        const worker = await startWorker(
          slot,
          this.#options,
          () => this.#replace(slot),
        );
        if (this.#stopped) {
          // stop() ran while it started: it must not outlive the pool.
          worker.terminate();
          slot.worker = undefined;
          return;
        }
        logger.info("TCP worker {index} replaced", { index: slot.index });
        return;
      } catch (error) {
        logger.error("Cannot restart TCP worker {index}: {message}", {
          index: slot.index,
          message: (error as Error).message,
        });
      }
    }
  }

  /**
   * Stops accepting; transfers in flight get `graceMs` to finish. Returns
   * within the grace period and a little slack even when a worker hangs
   * or died: what is left is terminated.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs + STOP_SLACK_MS);
    });
    const stopped = this.#slots.map((slot) => {
      const worker = slot.worker;
      if (!worker) return Promise.resolve();
      return new Promise<void>((resolve) => {
        slot.onStopped = resolve;
        send(worker, { type: "stop", graceMs });
      });
    });
    await Promise.race([Promise.all(stopped), deadline]);
    clearTimeout(timer);
    for (const slot of this.#slots) {
      if (slot.onStopped && slot.worker) {
        logger.warn("TCP worker {index} did not stop in time: terminated", {
          index: slot.index,
        });
      }
      slot.worker?.terminate();
      slot.worker = undefined;
    }
  }
}

/**
 * Starts the worker of `slot`; resolves once it listens. Afterwards its
 * events are relayed (and its open connections tracked in the slot), and
 * `onDeath` is called if it dies.
 */
function startWorker(
  slot: Slot,
  options: StartOptions,
  onDeath: () => void,
): Promise<Worker> {
  const worker = new Worker(options.workerUrl, { type: "module" });
  let started = false;
  return new Promise((resolve, reject) => {
    worker.onmessage = (message: MessageEvent<FromWorker>) => {
      const data = message.data;
      switch (data.type) {
        case "listening":
          started = true;
          slot.worker = worker;
          return resolve(worker);
        case "failed":
          worker.terminate();
          return reject(new Error(data.message));
        case "event":
          if (data.event.type === "connect") {
            slot.open.set(data.event.conn, data.event.remote);
          } else if (data.event.type === "disconnect") {
            slot.open.delete(data.event.conn);
          }
          return options.onEvent(data.event);
        case "log":
          return emitForwarded(data.record);
        case "stopped":
          slot.onStopped?.();
          slot.onStopped = undefined;
          return;
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      logger.error("TCP worker {index} crashed: {message}", {
        index: slot.index,
        message: event.message,
      });
      if (started) onDeath();
      else {
        worker.terminate();
        reject(new Error(event.message));
      }
    };
    send(worker, {
      type: "start",
      index: slot.index,
      config: options.config,
      limits: options.limits.buffer,
      addresses: options.addresses.buffer,
    });
  });
}
