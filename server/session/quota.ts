/**
 * Quotas: per client (and a default), the bytes of its kept versions and
 * their number. Bytes count BEFORE deduplication: a client's quota never
 * depends on what other clients store, so it cannot learn from it whether
 * another holds a file (SECURITY.md). Checked at packet 1 against the
 * announced size, and again inside the commit's transaction, where two
 * uploads of one client running side by side meet.
 * @module
 */
import { ProtocolError } from "../protocol/messages.ts";
import type { BackupStorage } from "../storage/types.ts";

/** An upload refused because it would exceed its client's quota (1607). */
export class QuotaError extends ProtocolError {
  constructor(message: string) {
    super(message);
    this.name = "QuotaError";
  }
}

/**
 * Why one more version of `size` bytes would exceed the client's quota,
 * as "over quota: ...", or undefined when it fits.
 */
export function quotaExcess(
  db: BackupStorage,
  clientId: Uint8Array,
  size: number,
): string | undefined {
  const { quotaBytes, quotaVersions } = db.policies.effective(clientId);
  if (quotaBytes === null && quotaVersions === null) return undefined;
  const usage = db.versions.usage(clientId);
  if (quotaVersions !== null && usage.versions + 1 > quotaVersions) {
    return `over quota: ${usage.versions} versions kept, the quota is ${quotaVersions}`;
  }
  if (quotaBytes !== null && usage.bytes + size > quotaBytes) {
    return `over quota: ${usage.bytes} bytes kept + ${size} would exceed the quota of ${quotaBytes} bytes`;
  }
  return undefined;
}

/** Throws a QuotaError naming the file when one more version would exceed the quota. */
export function checkQuota(
  db: BackupStorage,
  upload: { clientId: Uint8Array; fileName: string; size: number },
): void {
  const excess = quotaExcess(db, upload.clientId, upload.size);
  if (excess) {
    throw new QuotaError(`Cannot store "${upload.fileName}": ${excess}`);
  }
}
