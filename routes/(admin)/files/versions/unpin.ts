/** Unpins a version: retention may remove it again. */
import { define } from "../../../../server/portal/define.ts";
import { actOnVersion } from "../../../../server/portal/versions.ts";

export const handler = define.handlers<never>({
  POST: (ctx) =>
    actOnVersion(ctx, {
      audit: "version.unpin",
      done: "version-unpinned",
      apply: (version, { deps }) =>
        deps.db.versions.setPinned(version.id, false),
    }),
});
