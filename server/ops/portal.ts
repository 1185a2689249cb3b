/**
 * What the portal's pages read of the operations side: every client's
 * health now and the settings, from the request's dependencies.
 * @module
 */
import type { PortalDeps } from "../portal/deps.ts";
import { allHealth, type ClientHealth } from "./health.ts";
import { opsSettings } from "./runtime.ts";
import { toHex } from "../../shared/encoding.ts";

/**
 * Every client's health (or that of `clientIds`), the most urgent first:
 * as of the watcher's last evaluation when the server runs one (at most a
 * tick old, and no database work per request), else computed now.
 */
export function healthNow(
  deps: Pick<PortalDeps, "db" | "ops">,
  clientIds?: readonly Uint8Array[],
): ClientHealth[] {
  const latest = deps.ops?.health();
  if (latest) {
    if (!clientIds) return [...latest];
    const wanted = new Set(clientIds.map(toHex));
    const found = latest.filter((h) => wanted.has(h.id));
    // A client registered since the last evaluation is computed now.
    if (found.length === wanted.size) return found;
  }
  return allHealth(
    deps.db.ops,
    opsSettings(deps.db),
    Date.now(),
    deps.ops?.overQuota,
    clientIds,
  );
}
