/**
 * What the portal's pages read of the operations side: every client's
 * health now and the settings, from the request's dependencies.
 * @module
 */
import type { PortalDeps } from "../portal/deps.ts";
import { allHealth, type ClientHealth } from "./health.ts";
import { opsSettings } from "./runtime.ts";

/** Every client's health (or that of `clientIds`) now, the most urgent first. */
export function healthNow(
  deps: Pick<PortalDeps, "db" | "ops">,
  clientIds?: readonly Uint8Array[],
): ClientHealth[] {
  return allHealth(
    deps.db.ops,
    opsSettings(deps.db),
    Date.now(),
    deps.ops?.overQuota,
    clientIds,
  );
}
