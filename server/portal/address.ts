/**
 * Who is on the other end of an HTTP request, and by what name it reached
 * us: the client address behind trusted reverse proxies (`--trusted-proxy`),
 * and the Host names the HTTP side answers to (`--public-name`), which
 * shuts out DNS rebinding.
 * @module
 */
import type { Context } from "hono";
import { BlockList, isIP } from "node:net";

/** The reverse proxies whose `X-Forwarded-For` is believed. */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  /** Parses a comma-separated list of addresses and CIDRs; throws a TypeError naming a bad entry. */
  constructor(spec: string | undefined) {
    const entries = (spec ?? "").split(",").map((e) => e.trim()).filter(
      Boolean,
    );
    this.#empty = entries.length === 0;
    for (const entry of entries) {
      const [address, bits, extra] = entry.split("/");
      const family = isIP(address);
      const max = family === 4 ? 32 : 128;
      if (
        family === 0 || extra !== undefined ||
        (bits !== undefined &&
          (!/^\d{1,3}$/.test(bits) || Number(bits) > max))
      ) {
        throw new TypeError(
          `Invalid --trusted-proxy "${entry}": not an IP address or CIDR such as 10.0.0.0/8`,
        );
      }
      const type = family === 4 ? "ipv4" : "ipv6";
      if (bits === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(bits), type);
    }
  }

  /** True when `address` is one of the trusted proxies. */
  has(address: string): boolean {
    if (this.#empty) return false;
    const family = isIP(address);
    if (family === 0) return false;
    return this.#list.check(address, family === 4 ? "ipv4" : "ipv6");
  }

  /** The client's address of a request (see {@link clientAddress}). */
  of(c: Context): string {
    return this.clientAddress(
      remoteAddress(c),
      c.req.header("x-forwarded-for"),
    );
  }

  /**
   * The client's address: the peer itself, unless the peer is a trusted
   * proxy; then the right-most `X-Forwarded-For` entry that is not itself
   * a trusted proxy (entries further left are whatever the client claimed).
   */
  clientAddress(peer: string, forwardedFor: string | null | undefined): string {
    if (!forwardedFor || !this.has(peer)) return peer;
    const hops = forwardedFor.split(",").map((hop) => hop.trim());
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i];
      if (isIP(hop) === 0) return peer;
      if (!this.has(hop)) return hop;
    }
    return hops[0] || peer;
  }
}

/** The peer's IP address (Deno.serve passes it as the env of `app.fetch`). */
export function remoteAddress(c: Context): string {
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return env?.remoteAddr?.hostname ?? "unknown";
}

/** The host names a request may carry in `Host`: see {@link hostAllowed}. */
export function allowedNames(
  httpHost: string,
  publicNames: string | undefined,
): Set<string> {
  const names = new Set(["localhost", httpHost.toLowerCase()]);
  for (const name of (publicNames ?? "").split(",")) {
    const trimmed = name.trim().toLowerCase();
    if (trimmed) names.add(trimmed);
  }
  return names;
}

/**
 * True when the `Host` header names this server: an IP address (a
 * rebinding page's origin is a DNS name, never the server's address),
 * localhost, the address the portal listens on, or a configured public name.
 */
export function hostAllowed(
  host: string | null | undefined,
  names: ReadonlySet<string>,
): boolean {
  if (!host || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare) !== 0) return true;
  return names.has(hostname.replace(/\.$/, ""));
}
