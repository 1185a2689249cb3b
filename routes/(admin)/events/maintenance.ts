/** `GET /events/maintenance`: live progress of retention, trash purge and GC runs over SSE. */
import { define } from "../../../server/portal/define.ts";
import { maintenanceStream } from "../../../server/portal/sse.ts";

export const handler = define.handlers<never>({
  GET: (ctx) => maintenanceStream(ctx),
});
