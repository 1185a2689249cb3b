/** `GET /api/v1/status`: connection statistics as JSON, for signed-in administrators. */
import { define } from "../../../../server/portal/define.ts";

/** The JSON body of `/api/v1/status`. */
export interface StatusBody {
  active: number;
  max: number;
  available: number;
  peak: number;
  uptimeSeconds: number;
  transfers: {
    active: number;
    started: number;
    verified: number;
    failed: number;
    aborted: number;
  };
  bytesReceived: number;
  registeredClients: number;
  verifiedFiles: number;
  errors: Record<string, number>;
}

export const handler = define.handlers<never>({
  GET(ctx) {
    const s = ctx.state.deps.stats.snapshot();
    const body: StatusBody = {
      active: s.connections.active,
      max: s.connections.max,
      available: s.connections.available,
      peak: s.connections.peak,
      uptimeSeconds: Math.floor(s.uptimeMs / 1000),
      transfers: {
        active: s.transfers.active.length,
        started: s.transfers.started,
        verified: s.transfers.verified,
        failed: s.transfers.failed,
        aborted: s.transfers.aborted,
      },
      bytesReceived: s.bytesReceived,
      registeredClients: s.registeredClients,
      verifiedFiles: s.verifiedFiles,
      errors: s.errors,
    };
    return Response.json(body, { headers: { "cache-control": "no-store" } });
  },
});
