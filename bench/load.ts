/**
 * Parallel uploads against a running server: the load that the
 * concurrency and scaling benchmarks measure.
 * @module
 */
import { cksum } from "../server/crypto/cksum.ts";
import { ResponseCode } from "../server/protocol/constants.ts";
import {
  confirmChecksum,
  registerClient,
  sendFrames,
  uploadFrames,
} from "../tests/e2e/harness.ts";

/** Outcome of {@link uploadMany}. */
export interface LoadResult {
  verified: number;
  failed: number;
  /** Wall time of the whole batch, in seconds. */
  seconds: number;
  /** Per-upload times of the verified uploads, sorted, in ms. */
  times: number[];
  megabytesPerSecond: number;
}

/** Random bytes, 64 KiB at a time (getRandomValues' limit). */
export function randomBytes(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) {
    crypto.getRandomValues(data.subarray(i, Math.min(size, i + 65536)));
  }
  return data;
}

/**
 * Registers `clients` clients, then has all of them upload `data` at once
 * in 1 MiB packets and verify it. The uploads are encrypted and encoded
 * beforehand, so the load generator spends its core on the socket only.
 */
export async function uploadMany(
  port: number,
  options: { clients: number; data: Uint8Array; prefix: string },
): Promise<LoadResult> {
  const expected = cksum(options.data);
  const clients = await Promise.all(
    Array.from(
      { length: options.clients },
      (_, i) => registerClient(port, `${options.prefix}-${i}`),
    ),
  );
  // Encrypted before the clock starts: the figure is the server's work.
  const frames = clients.map((client, i) =>
    uploadFrames(client, `f${i}.bin`, options.data, 1 << 20)
  );
  const started = performance.now();
  const times = await Promise.all(clients.map(async (client, i) => {
    const t = performance.now();
    const fileName = `f${i}.bin`;
    const received = await sendFrames(client, frames[i]);
    const ack = await confirmChecksum(client, fileName);
    client.raw.close();
    const ok = received?.code === ResponseCode.FILE_RECEIVED &&
      received.checksum === expected && ack?.code === ResponseCode.ACK;
    return ok ? performance.now() - t : NaN;
  }));
  const seconds = (performance.now() - started) / 1000;
  const verified = times.filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  return {
    verified: verified.length,
    failed: options.clients - verified.length,
    seconds,
    times: verified,
    megabytesPerSecond: options.clients * options.data.length / 1e6 / seconds,
  };
}

/** The `p` quantile (0..1) of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}
