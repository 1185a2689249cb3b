/** Pins a version: retention never removes it. */
import { define } from "../../../../server/portal/define.ts";
import { actOnVersion } from "../../../../server/portal/versions.ts";

export const handler = define.handlers<never>({
  POST: (ctx) =>
    actOnVersion(ctx, {
      audit: "version.pin",
      done: "version-pinned",
      apply: (version, { deps }) =>
        deps.db.versions.setPinned(version.id, true),
    }),
});
