/**
 * Serves static/ (CSS, icons, the island bundle) from the directory next to
 * this module, never the working directory, so `deno compile --include
 * static` works. Files are kept in memory with an ETag and read again only
 * when their modification time changes.
 * @module
 */
import type { Context } from "hono";
import { toHex } from "../../shared/encoding.ts";

/** static/ at the repository root, found from this module's location. */
export const STATIC_DIR = `${import.meta.dirname}/../../static`;

const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  map: "application/json",
};

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
  mtime: number;
}

const assets = new Map<string, Asset>();

/** Answers `GET /static/<path>`; 404 for anything outside static/ or missing. */
export async function serveStatic(c: Context, path: string): Promise<Response> {
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\.[a-z0-9]+$/.test(path)) {
    return c.notFound();
  }
  const asset = await load(path);
  if (!asset) return c.notFound();
  const headers = {
    "content-type": asset.type,
    etag: asset.etag,
    "cache-control": "no-cache",
  };
  if (c.req.header("if-none-match") === asset.etag) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(asset.body, { headers });
}

async function load(path: string): Promise<Asset | undefined> {
  const file = `${STATIC_DIR}/${path}`;
  let mtime: number;
  try {
    mtime = (await Deno.stat(file)).mtime?.getTime() ?? 0;
  } catch {
    return undefined;
  }
  const cached = assets.get(path);
  if (cached && cached.mtime === mtime) return cached;
  const body = await Deno.readFile(file);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const etag = `"${toHex(digest.slice(0, 12))}"`;
  const asset = {
    body,
    type: TYPES[path.split(".").pop()!] ?? "application/octet-stream",
    etag,
    mtime,
  };
  assets.set(path, asset);
  return asset;
}
