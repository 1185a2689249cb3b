/** The effective configuration, and the limits that can change at run time. */
import { Csrf, flashOf, Layout } from "../../components/Layout.tsx";
import { formatBytes, formatDuration } from "../../shared/format.ts";
import { getLogger } from "@logtape/logtape";
import { Fragment } from "preact";
import type { RuntimeLimitValues, ServerConfig } from "../../server/config.ts";
import { define, page, redirect } from "../../server/portal/define.ts";
import { readForm } from "../../server/portal/form.ts";
import { field } from "../../server/portal/params.ts";
import { audit } from "../../server/portal/audit.ts";

const logger = getLogger(["cyberbackup", "portal"]);

/** Accepted ranges of the runtime limits. */
export const LIMITS = {
  maxConnections: { min: 1, max: 100_000 },
  idleTimeoutSeconds: { min: 1, max: 86_400 },
} as const;

interface SettingsData {
  config: ServerConfig;
  limits: RuntimeLimitValues;
  errors: string[];
  /** What the administrator typed, shown again after an error. */
  input?: { maxConnections: string; idleTimeout: string };
}

export const handler = define.handlers<SettingsData>({
  GET(ctx) {
    return page({
      config: ctx.state.deps.config,
      limits: ctx.state.deps.limits.get(),
      errors: [],
    });
  },
  async POST(ctx) {
    const form = await readForm(ctx.req);
    const input = {
      maxConnections: field(form, "maxConnections") ?? "",
      idleTimeout: field(form, "idleTimeout") ?? "",
    };
    const errors: string[] = [];
    const maxConnections = integerIn(
      input.maxConnections,
      LIMITS.maxConnections,
    );
    const idleSeconds = integerIn(input.idleTimeout, LIMITS.idleTimeoutSeconds);
    if (maxConnections === undefined) {
      errors.push(
        `Max connections must be a whole number from 1 to ${
          LIMITS.maxConnections.max.toLocaleString("en-US")
        }.`,
      );
    }
    if (idleSeconds === undefined) {
      errors.push(
        `Idle timeout must be a whole number of seconds from 1 to ${LIMITS.idleTimeoutSeconds.max}.`,
      );
    }
    if (maxConnections === undefined || idleSeconds === undefined) {
      return page({
        config: ctx.state.deps.config,
        limits: ctx.state.deps.limits.get(),
        errors,
        input,
      }, { status: 400 });
    }
    const values = { maxConnections, idleTimeoutMs: idleSeconds * 1000 };
    const before = ctx.state.deps.limits.get();
    ctx.state.deps.limits.set(values);
    audit(ctx, {
      action: "settings.limits",
      detail: JSON.stringify({ before, after: values }),
    });
    logger.info("Runtime limits changed by administrator", {
      ...values,
      admin: ctx.state.session?.user,
    });
    return redirect("/settings?done=settings-saved");
  },
});

function integerIn(
  text: string,
  range: { min: number; max: number },
): number | undefined {
  if (!/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return n >= range.min && n <= range.max ? n : undefined;
}

export default define.page<SettingsData>(
  function Settings({ data, url, session }) {
    const c = data.config;
    const rows: [string, string][] = [
      ["Data directory", c.dataDir],
      ["Protocol address", `${c.host}:${c.port} (port from ${c.portSource})`],
      ["Portal address", `${c.httpHost}:${c.httpPort}`],
      ["Workers", String(c.workers)],
      ["Max connections", String(data.limits.maxConnections)],
      ["Idle timeout", `${data.limits.idleTimeoutMs / 1000} s`],
      ["Max packet size", formatBytes(c.maxPacketBytes)],
      ["Max file size", formatBytes(c.maxFileBytes)],
      ["RSA-OAEP hash", c.oaepHash],
      ["Log level", c.logLevel],
      ["Shutdown grace", `${c.shutdownGraceMs / 1000} s`],
      ["Trash kept", `${c.trashDays} days`],
      [
        "Maintenance interval",
        c.maintenanceIntervalMs
          ? formatDuration(c.maintenanceIntervalMs)
          : "off (run from Retention)",
      ],
    ];
    const input = data.input ?? {
      maxConnections: String(data.limits.maxConnections),
      idleTimeout: String(Math.round(data.limits.idleTimeoutMs / 1000)),
    };
    return (
      <Layout title="Settings" url={url} session={session} flash={flashOf(url)}>
        <div class="grid-2">
          <section class="panel">
            <h2>Runtime limits</h2>
            {data.errors.map((e) => (
              <p class="flash bad" role="alert" key={e}>{e}</p>
            ))}
            <form method="post" action="/settings" class="stack">
              <Csrf session={session} />
              <label>
                Max connections
                <input
                  name="maxConnections"
                  type="number"
                  min={LIMITS.maxConnections.min}
                  max={LIMITS.maxConnections.max}
                  value={input.maxConnections}
                  required
                />
              </label>
              <label>
                Idle timeout (seconds)
                <input
                  name="idleTimeout"
                  type="number"
                  min={LIMITS.idleTimeoutSeconds.min}
                  max={LIMITS.idleTimeoutSeconds.max}
                  value={input.idleTimeout}
                  required
                />
              </label>
              <p class="muted">
                Applied at once, without a restart; open connections keep
                running.
              </p>
              <button type="submit" class="button primary">Save limits</button>
            </form>
          </section>
          <section class="panel">
            <h2>Effective configuration</h2>
            <dl class="facts" data-config>
              {rows.map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{k}</dt>
                  <dd>
                    <code>{v}</code>
                  </dd>
                </Fragment>
              ))}
            </dl>
            <p class="muted">
              Set at start by flags, environment and port.info; see cyberbackup
              --help.
            </p>
          </section>
          <section class="panel">
            <h2>Backup history</h2>
            <p class="muted">
              Retention policies, their preview and maintenance runs; versions
              deleted by an administrator.
            </p>
            <p>
              <a href="/retention" class="button">Retention</a>{" "}
              <a href="/trash" class="button">Trash</a>
            </p>
          </section>
          <section class="panel">
            <h2>Sign-in sessions</h2>
            <p class="muted">
              Ends your sessions in every browser, this one included. A password
              change (here or with{" "}
              <code>cyberbackup admin set-password</code>) ends the others.
            </p>
            <form method="post" action="/logout" class="stack">
              <Csrf session={session} />
              <input type="hidden" name="everywhere" value="1" />
              <button type="submit" class="button">Sign out everywhere</button>
            </form>
            <p>
              <a href="/password">Change password</a>
            </p>
          </section>
          <section class="panel">
            <h2>Operations</h2>
            <p class="muted">
              Who did what, when and from where; what clients are expected to
              do, and who is told when they do not.
            </p>
            <p>
              <a href="/audit">Audit log</a> ·{" "}
              <a href="/notifications">Alerts</a>
            </p>
          </section>
        </div>
      </Layout>
    );
  },
);
