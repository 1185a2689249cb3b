/** Sends the latest stored copy of a file as an attachment, streamed from disk. */
import { define, HttpError } from "../../../server/portal/define.ts";
import { attachment } from "../../../server/portal/download.ts";
import { parseClientId } from "../../../server/portal/params.ts";

export const handler = define.handlers<never>({
  GET(ctx) {
    const client = parseClientId(ctx.url.searchParams.get("client"));
    const name = ctx.url.searchParams.get("name") ?? "";
    const row = client && ctx.state.deps.db.files.get(client, name);
    if (!client || !row) throw new HttpError(404);
    return attachment(
      () => ctx.state.deps.store.openStored(client, name),
      name,
    );
  },
});
