/**
 * The portal over real HTTP for end-to-end tests: a cookie jar and
 * same-origin form posts, as a browser sends them.
 * @module
 */
import assert from "node:assert/strict";

/** A browser's cookie jar and same-origin requests, without following redirects. */
export class Browser {
  readonly base: string;
  readonly cookies = new Map<string, string>();
  /** Set-Cookie lines of the last response. */
  lastSetCookies: string[] = [];

  constructor(port: number) {
    this.base = `http://127.0.0.1:${port}`;
  }

  async fetch(
    path: string,
    init: RequestInit & { form?: Record<string, string>; origin?: string } = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set(
        "cookie",
        [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      );
    }
    let body = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form);
      headers.set("content-type", "application/x-www-form-urlencoded");
      headers.set("origin", init.origin ?? this.base);
    }
    const response = await fetch(`${this.base}${path}`, {
      ...init,
      method: init.method ?? (init.form ? "POST" : "GET"),
      headers,
      body,
      redirect: "manual",
    });
    this.lastSetCookies = response.headers.getSetCookie();
    for (const line of this.lastSetCookies) {
      const [pair, ...attributes] = line.split(";").map((s) => s.trim());
      const [name, value] = [
        pair.slice(0, pair.indexOf("=")),
        pair.slice(pair.indexOf("=") + 1),
      ];
      const expired = attributes.some((a) => /^max-age=0$/i.test(a)) ||
        attributes.some((a) => /^expires=Thu, 01 Jan 1970/i.test(a)) ||
        value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** The hidden CSRF token of the page at `path`. */
  async token(path: string): Promise<string> {
    const response = await this.fetch(path);
    const html = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    assert.ok(token, `a CSRF token on ${path}`);
    return token;
  }

  async signIn(password: string, next = "/"): Promise<Response> {
    const token = await this.token("/login");
    return await this.fetch("/login", {
      form: { _csrf: token, user: "admin", password, next },
    });
  }
}
