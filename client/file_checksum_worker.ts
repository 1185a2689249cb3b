/**
 * Worker for `startChecksum()` (file_checksum.ts): receives a path, posts
 * back its checksum and size, or the error that stopped it.
 * @module
 */
/// <reference lib="deno.worker" />
import { checksumFileHere, type ChecksumReply } from "./file_checksum.ts";

self.onmessage = async ({ data: path }: MessageEvent<string>) => {
  let reply: ChecksumReply;
  try {
    reply = { ok: true, result: await checksumFileHere(path) };
  } catch (error) {
    reply = { ok: false, message: (error as Error).message };
  }
  self.postMessage(reply);
};
