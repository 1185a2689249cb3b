/**
 * Fresh's file conventions, applied to the generated manifest: which URL
 * pattern a file under routes/ answers, and which `_middleware.ts` files
 * cover it. Pure: the manifest is built by dev.ts, never by walking the
 * directory at run time, so this works inside a compiled binary.
 * @module
 */
import type { Middleware, RouteModule } from "./define.ts";

/** One file of the manifest: its path under routes/ and its module. */
export interface ManifestEntry {
  file: string;
  module: unknown;
}

/** A route: the pattern it answers and the middlewares that run first. */
export interface FileRoute {
  /** The file under routes/, as `(admin)/clients/[id].tsx`. */
  file: string;
  /** The Hono/Fresh pattern, as `/clients/:id`. */
  pattern: string;
  // deno-lint-ignore no-explicit-any
  module: RouteModule<any>;
  /** Outermost first: routes/_middleware.ts, then the folders down to the file's. */
  middlewares: Middleware[];
}

const SPECIAL = /^_(middleware|error)\.tsx?$/;

/**
 * The pattern of a route file: `index` names its folder, `[id]` is a
 * parameter, `(group)` folders group files without changing the URL.
 * Throws for names the portal does not support (catch-alls, `_app`).
 */
export function routePattern(file: string): string {
  const parts = file.replace(/\.tsx?$/, "").split("/");
  if (parts.at(-1) === "index") parts.pop();
  const segments = parts
    .filter((part) => !/^\(.+\)$/.test(part))
    .map((part) => {
      if (part.startsWith("_") || part.startsWith("[...")) {
        throw new Error(`Cannot route ${file}: "${part}" is not supported`);
      }
      const param = /^\[(\w+)\]$/.exec(part);
      return param ? `:${param[1]}` : part;
    });
  return `/${segments.join("/")}`;
}

/** The folder of a manifest path ("" for routes/ itself). */
function folderOf(file: string): string {
  const at = file.lastIndexOf("/");
  return at < 0 ? "" : file.slice(0, at);
}

function depth(folder: string): number {
  return folder === "" ? 0 : folder.split("/").length;
}

/** True when `folder` is `inner` or one of its ancestors. */
function covers(folder: string, inner: string): boolean {
  return folder === "" || inner === folder || inner.startsWith(`${folder}/`);
}

/** Static segments before parameters, as Fresh orders routes. */
function bySpecificity(a: FileRoute, b: FileRoute): number {
  const key = (route: FileRoute) => route.pattern.replaceAll(":", "\uffff");
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** The routes of a manifest and its root error page. */
export function fileRoutes(manifest: readonly ManifestEntry[]): {
  routes: FileRoute[];
  // deno-lint-ignore no-explicit-any
  errorPage: RouteModule<any>;
} {
  const middlewares = manifest
    .filter((entry) => /(^|\/)_middleware\.tsx?$/.test(entry.file))
    .map((entry) => ({
      folder: folderOf(entry.file),
      run: (entry.module as { default: Middleware }).default,
    }))
    .sort((a, b) => depth(a.folder) - depth(b.folder));
  const routes = manifest
    .filter((entry) => !SPECIAL.test(entry.file.split("/").at(-1)!))
    .map((entry): FileRoute => ({
      file: entry.file,
      pattern: routePattern(entry.file),
      module: entry.module as RouteModule<unknown>,
      middlewares: middlewares
        .filter((m) => covers(m.folder, folderOf(entry.file)))
        .map((m) => m.run),
    }))
    .sort(bySpecificity);
  routes.forEach((route, i) => {
    if (i > 0 && routes[i - 1].pattern === route.pattern) {
      throw new Error(
        `Cannot route ${route.file}: ${
          routes[i - 1].file
        } answers ${route.pattern} too`,
      );
    }
  });
  const errorPage = manifest.find((entry) => /^_error\.tsx?$/.test(entry.file));
  if (!errorPage) {
    throw new Error("Cannot build the portal: no routes/_error.tsx");
  }
  return { routes, errorPage: errorPage.module as RouteModule<unknown> };
}
