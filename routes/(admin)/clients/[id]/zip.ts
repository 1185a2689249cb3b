/**
 * The client's files as they were at a point in time, as one streamed zip
 * (server/portal/snapshot_zip.ts). A POST, so the CSRF check guards it: it
 * is an audited act ("client.zip").
 */
import { getLogger } from "@logtape/logtape";
import { define, redirect } from "../../../../server/portal/define.ts";
import { readForm } from "../../../../server/portal/form.ts";
import { audit } from "../../../../server/portal/audit.ts";
import {
  field,
  parseClientId,
  utcDateTime,
} from "../../../../server/portal/params.ts";
import {
  type SnapshotReport,
  snapshotZip,
} from "../../../../server/portal/snapshot_zip.ts";
import { contentDisposition } from "../../../../server/portal/download.ts";

const logger = getLogger(["cyberbackup", "portal"]);

export const handler = define.handlers<never>({
  async POST(ctx) {
    const id = parseClientId(ctx.params.id);
    const { db, store } = ctx.state.deps;
    const client = id && db.clients.get(id);
    if (!id || !client) return redirect("/clients?done=not-found");
    const text = field(await readForm(ctx.req), "at")?.trim();
    const at = text ? utcDateTime(text) : new Date().toISOString();
    if (!at) return redirect(`/clients/${client.id}?done=bad-time`);
    audit(ctx, {
      action: "client.zip",
      target: client.id,
      detail: JSON.stringify({ at }),
    });
    const report: SnapshotReport = { files: 0, bytes: 0, missing: [] };
    const zip = snapshotZip(
      {
        versions: db.versions,
        openObject: (blake3) => store.objects.openObject(blake3),
      },
      id,
      at,
      report,
    ).pipeThrough(
      new TransformStream({
        flush() {
          logger.info(
            "Zip of client {client} as at {at} sent: {files} files, {bytes} bytes, {missing} left out",
            {
              client: client.id,
              at,
              ...report,
              missing: report.missing.length,
            },
          );
        },
      }),
    );
    const stamp = at.slice(0, 19).replaceAll(/[-:]/g, "");
    return new Response(zip, {
      headers: {
        "content-type": "application/zip",
        "content-disposition": contentDisposition(
          `${client.name}-${stamp}Z.zip`,
        ),
        "cache-control": "no-store",
      },
    });
  },
});
