/**
 * The TCP side of the server in the main thread: starts the worker pool on
 * one port, relays worker events and logs, and stops the pool gracefully.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { RuntimeLimitValues } from "../config.ts";
import { emitForwarded } from "../logging.ts";
import type { EventSink } from "../stats/events.ts";
import { SharedLimits } from "./shared_limits.ts";
import type { FromWorker, ToWorker, WorkerConfig } from "./worker_messages.ts";

const logger = getLogger(["cyberbackup", "tcp"]);

const WORKER_URL = new URL("./worker.ts", import.meta.url);

function send(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}

/** Resolves with the worker's first answer to `start`. */
function startWorker(
  index: number,
  options: { config: WorkerConfig; limits: SharedLimits; onEvent: EventSink },
): Promise<Worker> {
  const worker = new Worker(WORKER_URL, { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (message: MessageEvent<FromWorker>) => {
      const data = message.data;
      switch (data.type) {
        case "listening":
          return resolve(worker);
        case "failed":
          worker.terminate();
          return reject(new Error(data.message));
        case "event":
          return options.onEvent(data.event);
        case "log":
          return emitForwarded(data.record);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      logger.error("TCP worker {index} crashed: {message}", {
        index,
        message: event.message,
      });
      reject(new Error(event.message));
    };
    send(worker, {
      type: "start",
      index,
      config: options.config,
      limits: options.limits.buffer,
    });
  });
}

/** The running pool of TCP workers sharing one port. */
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
      `Cannot listen on ${host}:${port}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const claimed = (alone.addr as Deno.NetAddr).port;
  alone.close();
  return claimed;
}

export class TcpServer {
  readonly port: number;
  readonly limits: SharedLimits;
  #workers: Worker[];
  #stopped = false;

  private constructor(port: number, limits: SharedLimits, workers: Worker[]) {
    this.port = port;
    this.limits = limits;
    this.#workers = workers;
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
    const limits = SharedLimits.create(options.limits);
    const config = { ...options.config, port };
    try {
      const started = await Promise.allSettled(
        Array.from(
          { length: options.workers },
          (_, i) =>
            startWorker(i, { config, limits, onEvent: options.onEvent }),
        ),
      );
      const failure = started.find((s) => s.status === "rejected");
      const workers = started.flatMap((s) =>
        s.status === "fulfilled" ? [s.value] : []
      );
      if (failure) {
        for (const worker of workers) worker.terminate();
        throw new Error(
          `Cannot start TCP server on port ${port}: ${failure.reason?.message}`,
        );
      }
      return new TcpServer(port, limits, workers);
    } finally {
      probe.close();
    }
  }

  /** True until `stop` is called. */
  get listening(): boolean {
    return !this.#stopped;
  }

  /** Stops accepting; transfers in flight get `graceMs` to finish. */
  async stop(graceMs: number): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(
      this.#workers.map((worker) =>
        new Promise<void>((resolve) => {
          const previous = worker.onmessage;
          worker.onmessage = (message: MessageEvent<FromWorker>) => {
            if (message.data.type === "stopped") resolve();
            else previous?.call(worker, message);
          };
          send(worker, { type: "stop", graceMs });
        })
      ),
    );
    for (const worker of this.#workers) worker.terminate();
  }
}
