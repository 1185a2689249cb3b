/**
 * The free-space watermark: below it a new upload is refused at its first
 * packet (1607, logged with the figures), before anything is written, so
 * that the disk never fills and what is stored and verified stays intact.
 * Uploads already under way go on: they were admitted with room to spare.
 * @module
 */
import { statfsSync } from "node:fs";
import { ProtocolError } from "../protocol/messages.ts";
import type { SessionContext } from "./context.ts";

/** Free bytes for an unprivileged user on the file system of `path`. */
export function freeBytesOf(path: string): number {
  const stats = statfsSync(path);
  return Number(stats.bavail) * Number(stats.bsize);
}

/**
 * Throws a ProtocolError (1607) when the data disk has less free space
 * than the context's watermark; does nothing when no watermark is set.
 */
export function checkFreeSpace(ctx: SessionContext, fileName: string): void {
  const watermark = ctx.minFreeBytes ?? 0;
  if (watermark <= 0) return;
  const free = (ctx.freeBytes ?? freeBytesOf)(ctx.store.root);
  if (free < watermark) {
    throw new ProtocolError(
      `Cannot start upload of ${fileName}: ${free} bytes free on the data disk, below the --min-free watermark of ${watermark}`,
    );
  }
}
