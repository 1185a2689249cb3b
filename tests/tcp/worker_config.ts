/** A worker configuration for pool tests in this process or a child. @module */
import type { WorkerConfig } from "../../server/tcp/worker_messages.ts";

/**
 * A one-host loopback configuration with generous per-address limits (every
 * test client comes from 127.0.0.1) and no free-space watermark.
 */
export function configIn(dataDir: string): WorkerConfig {
  return {
    host: "127.0.0.1",
    port: 0,
    dataDir,
    maxPacketBytes: 16 * 1024 * 1024,
    maxFileBytes: 1 << 30,
    oaepHash: "sha1",
    logLevel: "fatal",
    maxPerAddress: 100,
    authTimeoutMs: 30_000,
    registerRate: 100,
    minFreeBytes: 0,
  };
}
