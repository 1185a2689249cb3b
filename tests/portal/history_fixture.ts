/**
 * Puts versions in place as the upload commit does (object in the content
 * store, versions row), for tests of what reads history.
 * @module
 */
import { blake3Hex } from "../../server/crypto/blake3.ts";
import { join } from "node:path";
import type { ContentStore } from "../../server/storage/content_store.ts";
import type { BackupStorage, FileVersion } from "../../server/storage/types.ts";

/** Stores `content` as the next version of `fileName`, stored at `at`. */
export function storeVersion(
  target: { db: BackupStorage; objects: ContentStore },
  clientId: Uint8Array,
  fileName: string,
  content: string | Uint8Array,
  at: string,
): FileVersion {
  const bytes = typeof content === "string"
    ? new TextEncoder().encode(content)
    : content;
  const blake3 = blake3Hex(bytes);
  Deno.mkdirSync(target.objects.root, { recursive: true });
  const temp = join(target.objects.root, `test-${crypto.randomUUID()}`);
  Deno.writeFileSync(temp, bytes);
  target.objects.adopt(temp, blake3);
  Deno.removeSync(temp);
  return target.db.versions.add({
    clientId,
    fileName,
    size: bytes.length,
    checksum: 0,
    blake3,
    transport: "tcp",
  }, at);
}
