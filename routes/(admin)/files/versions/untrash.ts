/** Takes a version back out of the trash (the trash service records it in the audit log). */
import { define } from "../../../../server/portal/define.ts";
import { historyOf } from "../../../../server/portal/history.ts";
import { actOnVersion } from "../../../../server/portal/versions.ts";

export const handler = define.handlers<never>({
  POST: (ctx) =>
    actOnVersion(ctx, {
      done: "version-restored",
      apply: (version, { deps, by, now }) =>
        historyOf(deps).trash.restore(version.id, by, now),
    }),
});
