/**
 * Puts versions in place as the upload commit does (object in the content
 * store, versions row), for tests of what reads history.
 * @module
 */
import { createHash } from "node:crypto";
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
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  Deno.mkdirSync(target.objects.root, { recursive: true });
  const temp = join(target.objects.root, `test-${crypto.randomUUID()}`);
  Deno.writeFileSync(temp, bytes);
  target.objects.adopt(temp, sha256);
  Deno.removeSync(temp);
  return target.db.versions.add({
    clientId,
    fileName,
    size: bytes.length,
    checksum: 0,
    sha256,
    transport: "tcp",
  }, at);
}
