/**
 * The route table: which module under routes/ answers which path, and
 * which of them are reachable without signing in. Fresh derives this from
 * file names; here it is written out.
 * @module
 */
import type { RouteModule } from "./define.ts";
import * as login from "../../routes/login.tsx";
import * as logout from "../../routes/logout.ts";
import * as dashboard from "../../routes/index.tsx";
import * as clients from "../../routes/clients/index.tsx";
import * as client from "../../routes/clients/[id].tsx";
import * as clientDelete from "../../routes/clients/[id]/delete.ts";
import * as clientRevoke from "../../routes/clients/[id]/revoke.ts";
import * as files from "../../routes/files/index.tsx";
import * as fileDownload from "../../routes/files/download.ts";
import * as fileDelete from "../../routes/files/delete.ts";
import * as transfers from "../../routes/transfers.tsx";
import * as logs from "../../routes/logs.tsx";
import * as settings from "../../routes/settings.tsx";
import * as password from "../../routes/password.tsx";
import * as health from "../../routes/health.ts";
import * as metrics from "../../routes/metrics.ts";
import * as status from "../../routes/api/v1/status.ts";
import * as statsEvents from "../../routes/events/stats.ts";
import * as logEvents from "../../routes/events/logs.ts";

/** One entry of the route table. */
export interface MountedRoute {
  path: string;
  // deno-lint-ignore no-explicit-any
  module: RouteModule<any> | {
    handler: RouteModule<unknown>["handler"];
    default?: undefined;
  };
  /** Reachable without signing in. */
  public?: boolean;
  /** Checks its own CSRF token (the sign-in form). */
  ownCsrf?: boolean;
}

export const ROUTES: readonly MountedRoute[] = [
  { path: "/login", module: login, public: true, ownCsrf: true },
  { path: "/logout", module: logout },
  { path: "/", module: dashboard },
  { path: "/clients", module: clients },
  { path: "/clients/:id", module: client },
  { path: "/clients/:id/delete", module: clientDelete },
  { path: "/clients/:id/revoke", module: clientRevoke },
  { path: "/files", module: files },
  { path: "/files/download", module: fileDownload },
  { path: "/files/delete", module: fileDelete },
  { path: "/transfers", module: transfers },
  { path: "/logs", module: logs },
  { path: "/settings", module: settings },
  { path: "/password", module: password },
  { path: "/health", module: health, public: true },
  { path: "/metrics", module: metrics, public: true },
  { path: "/api/v1/status", module: status },
  { path: "/events/stats", module: statsEvents },
  { path: "/events/logs", module: logEvents },
];
