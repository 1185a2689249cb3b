/** Sends one version of a file as an attachment, streamed from its content object. */
import { define, HttpError } from "../../../../server/portal/define.ts";
import { attachment } from "../../../../server/portal/download.ts";
import { parseVersionRef } from "../../../../server/portal/versions.ts";

export const handler = define.handlers<never>({
  GET(ctx) {
    const params = ctx.url.searchParams;
    const ref = parseVersionRef({
      client: params.get("client"),
      name: params.get("name"),
      number: params.get("number"),
    });
    const { db, store } = ctx.state.deps;
    const version = ref &&
      db.versions.byNumber(ref.client, ref.fileName, ref.number);
    if (!version) throw new HttpError(404);
    return attachment(
      () => store.objects.openObject(version.blake3),
      version.fileName,
    );
  },
});
