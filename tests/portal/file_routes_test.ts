/**
 * Routes from files: the patterns Fresh's conventions give, the middlewares
 * that cover each route, the committed manifest being current, and the
 * signed-in part of the portal covering every route not meant to be public.
 */
import assert from "node:assert/strict";
import { ROUTES } from "../../server/portal/app.ts";
import type { Middleware } from "../../server/portal/define.ts";
import { fileRoutes, routePattern } from "../../server/portal/file_routes.ts";
import { MANIFEST } from "../../server/portal/manifest.gen.ts";
import {
  listRouteFiles,
  MANIFEST_PATH,
  manifestSource,
} from "../../server/portal/manifest_writer.ts";

/** The routes reachable without an administrator's session, on purpose. */
const PUBLIC_PATTERNS = [
  "/api/v1/checksum/:verdict",
  "/api/v1/files",
  "/api/v1/info",
  "/api/v1/key",
  "/api/v1/packet",
  "/api/v1/reconnect",
  "/api/v1/register",
  "/api/v1/restore/file",
  "/api/v1/restore/list",
  "/api/v1/restore/proof",
  "/api/v1/session",
  "/backup",
  "/health",
  "/login",
  "/metrics",
];

Deno.test("file names give Fresh's patterns: index is its folder, [id] a parameter, (group) nothing", () => {
  assert.equal(routePattern("index.tsx"), "/");
  assert.equal(routePattern("login.tsx"), "/login");
  assert.equal(routePattern("(admin)/index.tsx"), "/");
  assert.equal(routePattern("(admin)/clients/index.tsx"), "/clients");
  assert.equal(routePattern("(admin)/clients/[id].tsx"), "/clients/:id");
  assert.equal(
    routePattern("(admin)/clients/[id]/delete.ts"),
    "/clients/:id/delete",
  );
  assert.equal(
    routePattern("api/v1/checksum/[verdict].ts"),
    "/api/v1/checksum/:verdict",
  );
  assert.throws(() => routePattern("files/[...path].tsx"), /not supported/);
  assert.throws(() => routePattern("_app.tsx"), /not supported/);
});

Deno.test("a route runs the middlewares of its folders, outermost first, and no one else's", () => {
  const names = new Map<Middleware, string>();
  const named = (name: string) => {
    const middleware: Middleware = (ctx) => ctx.next();
    names.set(middleware, name);
    return { default: middleware };
  };
  const page = { handler: { GET: () => new Response("") } };
  const { routes } = fileRoutes([
    { file: "(admin)/_middleware.ts", module: named("admin") },
    { file: "(admin)/clients/_middleware.ts", module: named("clients") },
    { file: "_middleware.ts", module: named("root") },
    { file: "_error.tsx", module: { default: () => null } },
    { file: "(admin)/clients/[id].tsx", module: page },
    { file: "(admin)/clients-old.tsx", module: page },
    { file: "login.tsx", module: page },
  ]);
  assert.deepEqual(
    Object.fromEntries(
      routes.map((route) => [
        route.pattern,
        route.middlewares.map((m) => names.get(m)),
      ]),
    ),
    {
      "/clients/:id": ["root", "admin", "clients"],
      "/clients-old": ["root", "admin"],
      "/login": ["root"],
    },
  );
});

Deno.test("two files that answer the same path are refused", () => {
  const page = { handler: { GET: () => new Response("") } };
  assert.throws(
    () =>
      fileRoutes([
        { file: "_error.tsx", module: {} },
        { file: "login.tsx", module: page },
        { file: "(public)/login.tsx", module: page },
      ]),
    /answers \/login too/,
  );
});

Deno.test("the committed route manifest lists every file under routes/ (run deno task build after adding one)", async () => {
  const committed = await Deno.readTextFile(MANIFEST_PATH);
  assert.equal(committed, manifestSource(await listRouteFiles()));
  assert.equal(MANIFEST.length, (await listRouteFiles()).length);
});

Deno.test("every route is behind routes/(admin)/_middleware.ts except the ones meant to be public", () => {
  const admin = MANIFEST.find((entry) =>
    entry.file === "(admin)/_middleware.ts"
  )!.module as { default: Middleware };
  const open = ROUTES.filter((route) => !route.file.startsWith("(admin)/"));
  assert.deepEqual(open.map((route) => route.pattern).sort(), PUBLIC_PATTERNS);
  for (const route of ROUTES) {
    assert.equal(
      route.middlewares.includes(admin.default),
      route.file.startsWith("(admin)/"),
      route.file,
    );
  }
});

Deno.test("the server finds its routes without reading routes/ at run time (as a compiled binary must)", async () => {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: `${import.meta.dirname}/../..`,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(info.success);
  const modules: { specifier: string }[] = JSON.parse(
    new TextDecoder().decode(info.stdout),
  ).modules;
  const local = modules.map((m) => m.specifier).filter((s) =>
    s.startsWith("file:")
  );
  assert.ok(local.some((s) => s.endsWith("/server/portal/manifest.gen.ts")));
  assert.ok(local.some((s) => s.endsWith("/routes/(admin)/_middleware.ts")));
  assert.ok(!local.some((s) => s.endsWith("/manifest_writer.ts")));
});
