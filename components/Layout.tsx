/**
 * The page frame: head, navigation, the signed-in user, and the island
 * scripts at the end of the body. Server-only.
 */
import type { ComponentChildren } from "preact";
import type { Session } from "../server/portal/auth/sessions.ts";
import { IslandScripts } from "../server/portal/islands.ts";
import { Icon } from "./Icon.tsx";

const NAV = [
  { href: "/", label: "Dashboard", icon: "dashboard" },
  { href: "/clients", label: "Clients", icon: "users" },
  { href: "/files", label: "Files", icon: "file" },
  { href: "/transfers", label: "Transfers", icon: "transfer" },
  { href: "/logs", label: "Logs", icon: "logs" },
  { href: "/charts", label: "Charts", icon: "chart" },
  { href: "/notifications", label: "Alerts", icon: "bell" },
  { href: "/settings", label: "Settings", icon: "settings" },
] as const;

export interface LayoutProps {
  title: string;
  url: URL;
  session: Session | undefined;
  /** Shown at the right of the page heading. */
  actions?: ComponentChildren;
  /** A one-line message after an action, e.g. "File deleted." */
  flash?: { kind: "ok" | "bad"; text: string } | undefined;
  children: ComponentChildren;
}

export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <Head title={props.title} />
      <body>
        <div class="shell">
          <aside class="sidebar">
            <a class="brand" href="/">
              <Icon name="shield" />
              <span>CyberBackup</span>
            </a>
            <nav aria-label="Main">
              {NAV.map((item) => {
                const current = item.href === "/"
                  ? props.url.pathname === "/"
                  : props.url.pathname.startsWith(item.href);
                return (
                  <a
                    href={item.href}
                    aria-current={current ? "page" : undefined}
                  >
                    <Icon name={item.icon} />
                    <span>{item.label}</span>
                  </a>
                );
              })}
            </nav>
            {props.session && (
              <form class="signout" method="post" action="/logout">
                <input type="hidden" name="_csrf" value={props.session.csrf} />
                <span class="user" title="Signed in">
                  <Icon name="user" />
                  {props.session.user}
                </span>
                <button type="submit" class="button ghost small">
                  Sign out
                </button>
              </form>
            )}
          </aside>
          <main class="content">
            <header class="page-head">
              <h1>{props.title}</h1>
              {props.actions && <div class="page-actions">{props.actions}</div>}
            </header>
            {props.flash && (
              <p class={`flash ${props.flash.kind}`} role="status">
                {props.flash.text}
              </p>
            )}
            {props.children}
          </main>
        </div>
        <IslandScripts />
      </body>
    </html>
  );
}

/** The document head shared by every page, including the sign-in page. */
export function Head(props: { title: string }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <title>{`${props.title} · CyberBackup`}</title>
      <link rel="stylesheet" href="/static/style.css" />
      <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
    </head>
  );
}

/** The hidden CSRF field every state-changing form carries. */
export function Csrf(props: { session: Session | undefined }) {
  return <input type="hidden" name="_csrf" value={props.session?.csrf ?? ""} />;
}

const FLASHES: Record<string, { kind: "ok" | "bad"; text: string }> = {
  "file-deleted": {
    kind: "ok",
    text: "File deleted. Its versions wait in the trash until purged.",
  },
  "client-deleted": { kind: "ok", text: "Client and its files deleted." },
  "key-revoked": {
    kind: "ok",
    text: "Key revoked: the client must register again.",
  },
  "settings-saved": {
    kind: "ok",
    text: "Settings saved; new limits apply to new connections.",
  },
  "not-found": { kind: "bad", text: "That item no longer exists." },
  "policy-saved": { kind: "ok", text: "Retention policy saved." },
  "run-started": {
    kind: "ok",
    text: "Maintenance started: retention, then trash purge, then GC.",
  },
  "run-busy": { kind: "bad", text: "A maintenance run is already going." },
  "restored": { kind: "ok", text: "Version restored from the trash." },
  "purged": { kind: "ok", text: "Purged for good; GC frees the content." },
  "purge-unconfirmed": {
    kind: "bad",
    text: "Nothing purged: tick the box to confirm.",
  },
  "rekeyed": {
    kind: "ok",
    text:
      'Client re-keyed: it keeps its id, name and history, and registers again under its id with a new key (see the README, "Re-keying a client").',
  },
  "no-key": { kind: "bad", text: "That client has no key to forget." },
  "bad-time": {
    kind: "bad",
    text: "That is not a date and time (YYYY-MM-DD HH:MM[:SS], UTC).",
  },
  "alerts-saved": { kind: "ok", text: "Alert settings saved." },
  "test-sent": { kind: "ok", text: "Test sent: see the delivery log." },
  "interval-saved": { kind: "ok", text: "Backup interval saved." },
  "not-valid": { kind: "bad", text: "That value is not valid." },
};

/**
 * The message for `?done=` after a redirect from an action; a page with
 * acts of its own passes their messages as `more`.
 */
export function flashOf(
  url: URL,
  more: Record<string, NonNullable<LayoutProps["flash"]>> = {},
): LayoutProps["flash"] {
  const done = url.searchParams.get("done") ?? "";
  const messages = Object.hasOwn(more, done) ? more : FLASHES;
  return Object.hasOwn(messages, done) ? messages[done] : undefined;
}

/** A page without navigation (sign-in, errors before sign-in). */
export function BareLayout(
  props: { title: string; children: ComponentChildren },
) {
  return (
    <html lang="en">
      <Head title={props.title} />
      <body class="bare">
        <main class="bare-main">
          <a class="brand" href="/">
            <Icon name="shield" />
            <span>CyberBackup</span>
          </a>
          {props.children}
        </main>
        <IslandScripts />
      </body>
    </html>
  );
}
