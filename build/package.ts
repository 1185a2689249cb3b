/**
 * `deno task package`: builds `dist/cyberbackup`, one executable file that
 * holds the Deno runtime this machine runs (`Deno.execPath()`, the one
 * installed from npm) and the program: the modules reached from the entry
 * and the include list of build/contents.ts (the list `deno compile` reads),
 * the files and folders of that list, and the npm packages those modules
 * import, as a Deno cache. makeself wraps them, with build/package_header.sh
 * as the start of the file (unpack once, check, exec `deno run`).
 *
 *     deno run -A build/package.ts [--output PATH]
 *
 * Needs `makeself` (Debian package `makeself`), no network.
 * @module
 */
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { ISLAND_BUNDLE } from "../server/portal/islands.ts";
import { toHex } from "../shared/encoding.ts";
import { ENTRY, INCLUDE, ROOT, RUN_FLAGS } from "./contents.ts";

/**
 * Flags of `deno run` in the package besides RUN_FLAGS: npm packages come
 * from the unpacked cache only, the lock file may not change (it is checked
 * on every start), and there is no node_modules folder to create.
 */
const OFFLINE_FLAGS = ["--cached-only", "--frozen", "--node-modules-dir=none"];

/** The parts of `deno info --json` this build reads. */
interface ModuleGraph {
  modules: { specifier: string; npmPackage?: string }[];
  npmPackages: Record<
    string,
    {
      name: string;
      version: string;
      dependencies: string[];
      registryUrl: string;
    }
  >;
}

/** What the program loads: local files and npm packages (name, version, registry). */
export interface Contents {
  files: string[];
  packages: { name: string; version: string; registry: string }[];
}

async function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string> } = {},
): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: options.env,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${code}):\n${
        decoder.decode(stderr)
      }`,
    );
  }
  return decoder.decode(stdout);
}

async function moduleGraph(root: string): Promise<ModuleGraph> {
  return JSON.parse(
    await run(Deno.execPath(), ["info", "--json", root]),
  ) as ModuleGraph;
}

/**
 * The local modules and npm packages reached from the entry and the
 * included modules (the packages with their dependencies).
 */
export async function programContents(roots: string[]): Promise<Contents> {
  const files = new Set<string>();
  const packages = new Map<string, Contents["packages"][number]>();
  for (const root of roots) {
    const graph = await moduleGraph(root);
    const add = (id: string) => {
      const info = graph.npmPackages[id];
      if (packages.has(id)) return;
      packages.set(id, {
        name: info.name,
        version: info.version,
        registry: new URL(info.registryUrl).host,
      });
      info.dependencies.forEach(add);
    };
    for (const module of graph.modules) {
      if (module.npmPackage) add(module.npmPackage);
      if (!module.specifier.startsWith("file:")) continue;
      const path = relative(ROOT, new URL(module.specifier).pathname);
      if (path.startsWith("..")) {
        throw new Error(`${module.specifier} is outside the repository`);
      }
      files.add(path);
    }
  }
  return { files: [...files].sort(), packages: [...packages.values()] };
}

/**
 * deno.json for the package: the same, with only the imports the program
 * uses (Deno would otherwise want the build tools' packages in the cache).
 */
export function packagedConfig(
  config: { imports?: Record<string, string> },
  packageNames: Set<string>,
): unknown {
  const imports = Object.fromEntries(
    Object.entries(config.imports ?? {}).filter(([, target]) => {
      const npm = /^npm:(@?[^@]+)/.exec(target);
      return !npm || packageNames.has(npm[1]);
    }),
  );
  return { ...config, imports };
}

async function copyFile(from: string, to: string): Promise<void> {
  await Deno.mkdir(join(to, ".."), { recursive: true });
  await Deno.copyFile(from, to);
}

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (!info.isDirectory) return await copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    await copyTree(join(from, entry.name), join(to, entry.name));
  }
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) files.push(...await listFiles(dir, path));
    else files.push(path);
  }
  return files.sort();
}

async function sha256(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** Fills `stage` with deno, app/ (the program) and deno_dir/ (its npm packages). */
async function stageProgram(stage: string): Promise<void> {
  const app = join(stage, "app");
  // Built by dev.ts, not kept in git: a package without it serves no islands.
  await Deno.stat(join(ROOT, ISLAND_BUNDLE)).catch(() => {
    throw new Error(`${ISLAND_BUNDLE} is missing: run deno task build first`);
  });
  const moduleRoots = [ENTRY, ...INCLUDE.filter((p) => /\.tsx?$/.test(p))];
  const contents = await programContents(moduleRoots);
  for (const file of contents.files) {
    await copyFile(join(ROOT, file), join(app, file));
  }
  for (const path of INCLUDE) await copyTree(join(ROOT, path), join(app, path));
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const names = new Set(contents.packages.map((p) => p.name));
  await Deno.writeTextFile(
    join(app, "deno.json"),
    JSON.stringify(packagedConfig(config, names), null, 2) + "\n",
  );
  await copyFile(join(ROOT, "deno.lock"), join(app, "deno.lock"));

  const { npmCache } = JSON.parse(
    await run(Deno.execPath(), ["info", "--json"]),
  ) as { npmCache: string };
  const denoDir = join(stage, "deno_dir");
  for (const { name, version, registry } of contents.packages) {
    const from = join(npmCache, registry, name);
    // An addon's builds for other platforms: the lock file names them,
    // Deno never downloads them, the program does not need them.
    if (await forOtherPlatform(join(from, "registry.json"), version)) continue;
    const to = join(denoDir, "npm", registry, name);
    await copyTree(join(from, version), join(to, version));
    await copyFile(join(from, "registry.json"), join(to, "registry.json"));
  }

  const deno = join(stage, "deno");
  await Deno.copyFile(Deno.execPath(), deno);
  await Deno.chmod(deno, 0o755);

  // Load the program the way the package will, offline: this fails the
  // build if a package is missing, and trims deno.lock to what is used
  // (so that --frozen holds at run time). Then drop the caches this run
  // made: they name this folder's paths.
  await run(deno, [
    "install",
    "--entrypoint",
    "--cached-only",
    "--node-modules-dir=none",
    "--config",
    join(app, "deno.json"),
    ...moduleRoots.map((root) => join(app, root)),
  ], { env: { DENO_DIR: denoDir } });
  for await (const entry of Deno.readDir(denoDir)) {
    if (entry.name !== "npm") {
      await Deno.remove(join(denoDir, entry.name), { recursive: true });
    }
  }
}

/** npm's names of this machine's system and processor. */
const NPM_OS = { windows: "win32" } as Record<string, string>;
const NPM_CPU = { x86_64: "x64", aarch64: "arm64" } as Record<string, string>;

/**
 * True when the npm metadata at `registryJson` limits `version` to other
 * systems or processors than this machine's (its `os` and `cpu` fields).
 */
async function forOtherPlatform(
  registryJson: string,
  version: string,
): Promise<boolean> {
  const meta = JSON.parse(await Deno.readTextFile(registryJson)).versions?.[
    version
  ] as { os?: string[]; cpu?: string[] } | undefined;
  const os = NPM_OS[Deno.build.os] ?? Deno.build.os;
  const cpu = NPM_CPU[Deno.build.arch] ?? Deno.build.arch;
  return (meta?.os !== undefined && !meta.os.includes(os)) ||
    (meta?.cpu !== undefined && !meta.cpu.includes(cpu));
}

/** Writes MANIFEST.sha256 (sha256sum's format) in `stage`; returns its hash. */
async function writeManifest(stage: string): Promise<string> {
  const lines = [];
  for (const file of await listFiles(stage)) {
    lines.push(`${await sha256(join(stage, file))}  ${file}\n`);
  }
  const manifest = join(stage, "MANIFEST.sha256");
  await Deno.writeTextFile(manifest, lines.join(""));
  return await sha256(manifest);
}

/**
 * Builds the package at `output`; returns its size in bytes. gzip level 6
 * by default: within 1% of level 9's size in half its time.
 */
export async function buildPackage(
  output: string,
  options: { gzipLevel?: number } = {},
): Promise<number> {
  const stage = await Deno.makeTempDir({ prefix: "cyberbackup-package-" });
  try {
    await stageProgram(stage);
    const manifestSha256 = await writeManifest(stage);
    const { version } = JSON.parse(
      await Deno.readTextFile(join(ROOT, "deno.json")),
    ) as { version: string };
    await Deno.mkdir(join(output, ".."), { recursive: true });
    await run("makeself", [
      "--quiet",
      "--tar-quietly",
      "--gzip",
      "--complevel",
      String(options.gzipLevel ?? 6),
      "--sha256",
      "--nomd5",
      "--nocrc",
      "--header",
      join(ROOT, "build/package_header.sh"),
      stage,
      output,
      `cyberbackup ${version}`,
      // makeself wants a startup script; the header runs the program itself.
      "./deno",
    ], {
      env: {
        CYBERBACKUP_VERSION: version,
        CYBERBACKUP_MANIFEST_SHA256: manifestSha256,
        CYBERBACKUP_DENO_ARGS: [...OFFLINE_FLAGS, ...RUN_FLAGS].join(" "),
      },
    });
    return (await Deno.stat(output)).size;
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { output: { type: "string" } },
    strict: true,
  });
  const output = values.output ?? join(ROOT, "dist", "cyberbackup");
  const size = await buildPackage(output);
  // deno-lint-ignore no-console -- the build's own output
  console.log(`${output}: ${(size / 1024 / 1024).toFixed(1)} MiB`);
}
