/**
 * `POST /retention/run`: starts a maintenance pass (retention of one client
 * or all, the expired trash, GC) and returns to the retention page, whose
 * runs table follows it live. The pass goes on after the response.
 */
import { getLogger } from "@logtape/logtape";
import { actorOf } from "../../../server/portal/audit.ts";
import { define, HttpError, redirect } from "../../../server/portal/define.ts";
import { readForm } from "../../../server/portal/form.ts";
import { historyOf } from "../../../server/portal/history.ts";
import { field, parseClientId } from "../../../server/portal/params.ts";

const logger = getLogger(["cyberbackup", "portal"]);

export const handler = define.handlers<never>({
  async POST(ctx) {
    const { maintenance } = historyOf(ctx.state.deps);
    const form = await readForm(ctx.req);
    const clientText = field(form, "client") ?? "";
    const clientId = clientText ? parseClientId(clientText) : undefined;
    if (clientText && !clientId) throw new HttpError(400, "Bad client id");
    const back = clientId ? `client=${clientText}&` : "";
    if (maintenance.busy) return redirect(`/retention?${back}done=run-busy`);
    const by = actorOf(ctx);
    maintenance.runNow(by, { clientId }).catch((error) =>
      logger.error("Maintenance started from the portal failed: {error}", {
        error,
      })
    );
    return redirect(`/retention?${back}done=run-started`);
  },
});
