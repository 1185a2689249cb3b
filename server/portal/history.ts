/**
 * The history services (trash, maintenance) as routes reach them: a portal
 * started without them (some tests) answers their pages with 404.
 * @module
 */
import type { PortalDeps } from "./deps.ts";
import { HttpError } from "./define.ts";

/** `deps.history`, or a 404. */
export function historyOf(
  deps: PortalDeps,
): NonNullable<PortalDeps["history"]> {
  if (!deps.history) throw new HttpError(404);
  return deps.history;
}
