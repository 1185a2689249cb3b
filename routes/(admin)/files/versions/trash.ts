/**
 * Moves a version to the trash (the trash service records it in the audit
 * log); it can be restored until the trash is purged.
 */
import { define } from "../../../../server/portal/define.ts";
import { historyOf } from "../../../../server/portal/history.ts";
import { actOnVersion } from "../../../../server/portal/versions.ts";

export const handler = define.handlers<never>({
  POST: (ctx) =>
    actOnVersion(ctx, {
      done: "version-trashed",
      apply: (version, { deps, by, now }) =>
        historyOf(deps).trash.trash(version.id, by, now) !== undefined,
    }),
});
