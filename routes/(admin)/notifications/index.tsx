/**
 * Alerts: what is expected of clients, where notifications go (webhook,
 * mail), a test button, and the log of every delivery.
 */
import { getLogger } from "@logtape/logtape";
import { Csrf, flashOf, Layout } from "../../../components/Layout.tsx";
import { Badge, TableBox, TimeCell } from "../../../components/Table.tsx";
import { define, page, redirect } from "../../../server/portal/define.ts";
import { readForm } from "../../../server/portal/form.ts";
import { field } from "../../../server/portal/params.ts";
import {
  checkSetting,
  SETTING_DEFAULTS,
  type SettingKey,
} from "../../../server/ops/settings.ts";
import type { DeliveryRow } from "../../../server/storage/ops_types.ts";
import { audit } from "../../../server/portal/audit.ts";

const logger = getLogger(["cyberbackup", "portal"]);

/** Fields never shown back; left empty, the stored value stays. */
const SECRETS: ReadonlySet<SettingKey> = new Set([
  "webhook.secret",
  "smtp.password",
]);

interface FieldSpec {
  key: SettingKey;
  label: string;
  type?: "number" | "password" | "url" | "textarea" | "select";
  hint?: string;
}

const GROUPS: { title: string; fields: FieldSpec[] }[] = [
  {
    title: "Expectations",
    fields: [
      {
        key: "ops.interval_seconds",
        label: "Expected backup interval (seconds)",
        type: "number",
        hint: "86400 = one day; a client can have its own on its page",
      },
      {
        key: "ops.failing_after",
        label: "Failed attempts in a row that make a client failing",
        type: "number",
      },
      {
        key: "ops.renotify_seconds",
        label: "Remind while not ok, every (seconds; 0 never)",
        type: "number",
      },
      {
        key: "summary.hour",
        label: "Daily summary mail after (UTC hour; -1 never)",
        type: "number",
      },
    ],
  },
  {
    title: "Webhook",
    fields: [
      { key: "webhook.url", label: "URL", type: "url" },
      {
        key: "webhook.secret",
        label: "Signing secret",
        type: "password",
        hint: "signs X-CyberBackup-Signature (docs/operations.md)",
      },
      { key: "webhook.attempts", label: "Tries", type: "number" },
      {
        key: "webhook.backoff_ms",
        label: "First retry after (ms, doubled each time)",
        type: "number",
      },
    ],
  },
  {
    title: "Mail (SMTP)",
    fields: [
      { key: "smtp.host", label: "Server" },
      { key: "smtp.port", label: "Port", type: "number" },
      {
        key: "smtp.security",
        label: "Security",
        type: "select",
        hint: "starttls (587), tls (465) or none (no password sent)",
      },
      { key: "smtp.user", label: "User" },
      { key: "smtp.password", label: "Password", type: "password" },
      { key: "smtp.from", label: "From" },
      { key: "smtp.to", label: "To (comma-separated)" },
      {
        key: "smtp.ca_cert",
        label: "Extra trusted CA (PEM, optional)",
        type: "textarea",
      },
    ],
  },
];

interface AlertsData {
  values: Record<string, string>;
  /** Which secrets are set (never their values). */
  secretsSet: SettingKey[];
  deliveries: DeliveryRow[];
  errors: string[];
}

function load(
  db: {
    ops: {
      settings(): Record<string, string>;
      deliveries(n: number): DeliveryRow[];
    };
  },
  errors: string[] = [],
  input?: Record<string, string>,
): AlertsData {
  const stored = db.ops.settings();
  const values: Record<string, string> = {};
  for (const key of Object.keys(SETTING_DEFAULTS) as SettingKey[]) {
    values[key] = SECRETS.has(key)
      ? ""
      : input?.[key] ?? stored[key] ?? SETTING_DEFAULTS[key];
  }
  return {
    values,
    secretsSet: [...SECRETS].filter((k) => stored[k]),
    deliveries: db.ops.deliveries(50),
    errors,
  };
}

export const handler = define.handlers<AlertsData>({
  GET(ctx) {
    return page(load(ctx.state.deps.db));
  },
  async POST(ctx) {
    const form = await readForm(ctx.req);
    const errors: string[] = [];
    const changes: Record<string, string> = {};
    const input: Record<string, string> = {};
    for (const key of Object.keys(SETTING_DEFAULTS) as SettingKey[]) {
      const text = field(form, key);
      if (text === undefined) continue;
      input[key] = text;
      // An empty secret keeps the stored one, unless asked to clear it.
      if (SECRETS.has(key) && text === "" && !field(form, `clear:${key}`)) {
        continue;
      }
      const checked = checkSetting(key, text);
      if ("error" in checked) errors.push(checked.error);
      else changes[key] = checked.value;
    }
    if (errors.length > 0) {
      return page(load(ctx.state.deps.db, errors, input), { status: 400 });
    }
    const stored = ctx.state.deps.db.ops.settings();
    for (const [key, value] of Object.entries(changes)) {
      if ((stored[key] ?? "") === value) delete changes[key];
    }
    ctx.state.deps.db.ops.saveSettings(changes);
    // Which settings changed, never their values (secrets among them).
    audit(ctx, {
      action: "settings.alerts",
      detail: Object.keys(changes).join(", "),
    });
    logger.info("Alert settings changed by administrator", {
      keys: Object.keys(changes).join(", "),
      admin: ctx.state.session?.user,
    });
    ctx.state.deps.ops?.evaluate();
    return redirect("/notifications?done=alerts-saved");
  },
});

function Field(
  { spec, data }: { spec: FieldSpec; data: AlertsData },
) {
  const value = data.values[spec.key];
  const secretSet = data.secretsSet.includes(spec.key);
  let control;
  if (spec.type === "textarea") {
    control = <textarea name={spec.key} rows={3}>{value}</textarea>;
  } else if (spec.type === "select") {
    control = (
      <select name={spec.key}>
        {["starttls", "tls", "none"].map((o) => (
          <option value={o} selected={o === value}>{o}</option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        name={spec.key}
        type={spec.type === "number" ? "text" : spec.type ?? "text"}
        inputmode={spec.type === "number" ? "numeric" : undefined}
        value={value}
        autocomplete={spec.type === "password" ? "new-password" : "off"}
        placeholder={spec.type === "password" && secretSet
          ? "set (leave empty to keep)"
          : undefined}
      />
    );
  }
  return (
    <label>
      {spec.label}
      {control}
      {spec.hint && <small class="muted">{spec.hint}</small>}
      {spec.type === "password" && secretSet && (
        <span class="check">
          <input type="checkbox" name={`clear:${spec.key}`} value="1" />{" "}
          clear it
        </span>
      )}
    </label>
  );
}

export default define.page<AlertsData>(
  function Alerts({ data, url, session }) {
    return (
      <Layout
        title="Alerts"
        url={url}
        session={session}
        flash={flashOf(url)}
        actions={
          <form method="post" action="/notifications/test" class="inline">
            <a class="button ghost" href="/audit">Audit log</a>
            <Csrf session={session} />
            <button type="submit" class="button" data-send-test>
              Send test
            </button>
          </form>
        }
      >
        {data.errors.map((e) => (
          <p class="flash bad" role="alert" key={e}>{e}</p>
        ))}
        <form method="post" action="/notifications" class="grid-2">
          {GROUPS.map((group) => (
            <section class="panel" key={group.title}>
              <h2>{group.title}</h2>
              <div class="stack">
                <Csrf session={session} />
                {group.fields.map((spec) => (
                  <Field key={spec.key} spec={spec} data={data} />
                ))}
                <button type="submit" class="button primary">Save</button>
              </div>
            </section>
          ))}
        </form>
        <h2>Deliveries</h2>
        <TableBox rows={data.deliveries.length} empty="Nothing sent yet.">
          <thead>
            <tr>
              <th>When</th>
              <th>Event</th>
              <th>Channel</th>
              <th>To</th>
              <th>Result</th>
              <th class="num">Tries</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {data.deliveries.map((d) => (
              <tr data-delivery={d.event}>
                <TimeCell value={d.at} />
                <td>
                  <code>{d.event}</code>
                </td>
                <td>{d.channel}</td>
                <td class="file-name" title={d.target}>{d.target}</td>
                <td>
                  {d.status === "delivered"
                    ? <Badge kind="ok">delivered</Badge>
                    : <Badge kind="bad">failed</Badge>}
                </td>
                <td class="num">{d.attempts}</td>
                <td class="muted file-name" title={d.detail}>{d.detail}</td>
              </tr>
            ))}
          </tbody>
        </TableBox>
      </Layout>
    );
  },
);
