/**
 * Retention: the default policy and a client's overrides, a preview of
 * exactly what they remove (PBS's prune simulator: the same planner a run
 * uses, over the same rows, before anything changes), and the runs with
 * live progress. `?client=HEX` picks a client; `?preview=1` previews the
 * stored policy (a whole-store preview reads every version, so it waits
 * for a click).
 */
import { Csrf, flashOf, Layout } from "../../../components/Layout.tsx";
import { TableBox } from "../../../components/Table.tsx";
import MaintenanceRuns from "../../../islands/MaintenanceRuns.tsx";
import {
  describePolicy,
  formatPolicyValue,
  parsePolicyValue,
  POLICY_FIELDS,
} from "../../../server/history/policy_text.ts";
import type { RetentionPreview } from "../../../server/history/retention_run.ts";
import {
  define,
  HttpError,
  page,
  redirect,
} from "../../../server/portal/define.ts";
import { actorOf } from "../../../server/portal/audit.ts";
import { readForm } from "../../../server/portal/form.ts";
import { field, parseClientId } from "../../../server/portal/params.ts";
import { MAINTENANCE_RUNS } from "../../../server/portal/sse.ts";
import { NO_POLICY } from "../../../server/storage/sqlite/policies.ts";
import type { RunRecord } from "../../../server/storage/maintenance_types.ts";
import type { PortalDeps } from "../../../server/portal/deps.ts";
import type { ClientPolicy } from "../../../server/storage/types.ts";
import { historyOf } from "../../../server/portal/history.ts";
import { toHex } from "../../../shared/encoding.ts";
import {
  formatBytes,
  formatCount,
  formatTime,
} from "../../../shared/format.ts";

/** Preview rows shown at most. */
const PREVIEW_ROWS = 300;

interface RetentionData {
  /** The client whose overrides show, or undefined for the default. */
  client?: { id: string; name: string };
  clients: { id: string; name: string }[];
  /** The form's values, as text. */
  values: Record<string, string>;
  /** What each field inherits (for a client: the default's value). */
  inherited: Record<string, string>;
  effective: string;
  errors: string[];
  preview?: RetentionPreview;
  runs: RunRecord[];
}

export const handler = define.handlers<RetentionData>({
  async GET(ctx) {
    const history = historyOf(ctx.state.deps);
    const clientId = parseClientId(ctx.url.searchParams.get("client") ?? "");
    const db = ctx.state.deps.db;
    const stored = db.policies.get(clientId ?? "*") ?? NO_POLICY;
    const data = baseData(ctx.state.deps, clientId, textOf(stored));
    if (clientId || ctx.url.searchParams.get("preview") === "1") {
      data.preview = await history.maintenance.preview({
        clientId,
        limit: PREVIEW_ROWS,
      });
    }
    return page(data);
  },
  async POST(ctx) {
    const history = historyOf(ctx.state.deps);
    const form = await readForm(ctx.req);
    const clientText = field(form, "client") ?? "";
    const clientId = clientText ? parseClientId(clientText) : undefined;
    if (clientText && !clientId) throw new HttpError(400, "Bad client id");
    const db = ctx.state.deps.db;
    const values: Record<string, string> = {};
    const errors: string[] = [];
    const policy: ClientPolicy = { ...NO_POLICY };
    for (const f of POLICY_FIELDS) {
      values[f.field] = field(form, f.field) ?? "";
      try {
        policy[f.field] = parsePolicyValue(f.field, values[f.field]);
      } catch (error) {
        errors.push(`${f.label}: ${(error as Error).message}`);
      }
    }
    const data = baseData(ctx.state.deps, clientId, values);
    data.errors = errors;
    if (errors.length > 0) return page(data, { status: 400 });
    if (field(form, "intent") === "save") {
      const now = new Date().toISOString();
      db.transaction(() => {
        db.policies.set(clientId ?? "*", policy, now);
        db.audit.record({
          at: now,
          ...actorOf(ctx),
          action: "policy.set",
          target: clientId ? toHex(clientId) : "*",
          detail: describePolicy(policy),
        });
      });
      const back = clientId ? `client=${toHex(clientId)}&` : "";
      return redirect(`/retention?${back}done=policy-saved`);
    }
    // Preview of the rules as typed: for a client, empty fields inherit.
    const base = clientId ? db.policies.get("*") ?? NO_POLICY : NO_POLICY;
    const rules = Object.fromEntries(
      POLICY_FIELDS.map((f) => [f.field, policy[f.field] ?? base[f.field]]),
    ) as unknown as ClientPolicy;
    data.preview = await history.maintenance.preview({
      clientId,
      rules,
      limit: PREVIEW_ROWS,
    });
    data.effective = describePolicy(rules);
    return page(data);
  },
});

function textOf(policy: ClientPolicy): Record<string, string> {
  return Object.fromEntries(
    POLICY_FIELDS.map((
      f,
    ) => [f.field, formatPolicyValue(f.field, policy[f.field])]),
  );
}

/** The page's data both handlers start from, runs included. */
function baseData(
  deps: PortalDeps,
  clientId: Uint8Array | undefined,
  values: Record<string, string>,
): RetentionData {
  const db = deps.db;
  const client = clientId ? db.clients.get(clientId) : undefined;
  if (clientId && !client) throw new HttpError(404);
  const clients = db.clients.list({ sort: "name", dir: "asc", pageSize: 200 })
    .rows.map((c) => ({ id: c.id, name: c.name }));
  const defaults = db.policies.get("*") ?? NO_POLICY;
  return {
    client: client ? { id: client.id, name: client.name } : undefined,
    clients,
    values,
    inherited: clientId ? textOf(defaults) : {},
    effective: describePolicy(
      clientId ? db.policies.effective(clientId) : defaults,
    ),
    errors: [],
    runs: historyOf(deps).maintenance.runs(MAINTENANCE_RUNS),
  };
}

export default define.page<RetentionData>(
  function Retention({ data, url, session }) {
    const scope = data.client
      ? `client ${data.client.name}`
      : "the default policy";
    return (
      <Layout
        title="Retention"
        url={url}
        session={session}
        flash={flashOf(url)}
      >
        <div class="grid-2">
          <section class="panel">
            <h2>Policy: {scope}</h2>
            <form method="get" action="/retention" class="toolbar">
              <label>
                Scope{" "}
                <select name="client">
                  <option value="">Default (all clients)</option>
                  {data.clients.map((c) => (
                    <option
                      value={c.id}
                      key={c.id}
                      selected={c.id === data.client?.id}
                    >
                      {c.name}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" class="button ghost">Show</button>
            </form>
            {data.errors.map((e) => (
              <p class="flash bad" role="alert" key={e}>{e}</p>
            ))}
            <form
              method="post"
              action="/retention"
              class="stack"
              data-policy-form
            >
              <Csrf session={session} />
              <input
                type="hidden"
                name="client"
                value={data.client?.id ?? ""}
              />
              {POLICY_FIELDS.map((f) => (
                <label key={f.field}>
                  {f.label}
                  <input
                    name={f.field}
                    value={data.values[f.field]}
                    placeholder={data.inherited[f.field]
                      ? `inherits ${data.inherited[f.field]}`
                      : f.kind === "duration"
                      ? "e.g. 30d"
                      : f.kind === "bytes"
                      ? "e.g. 10G"
                      : "no rule"}
                  />
                </label>
              ))}
              <p class="muted">
                Rules as restic{" "}
                <code>forget</code>; periods in UTC. Empty fields{" "}
                {data.client ? "inherit the default" : "are no rule"}; a policy
                with no rule keeps everything. The newest version of a name and
                pinned versions are always kept.
              </p>
              <p class="muted">Effective: {data.effective}</p>
              <div class="toolbar">
                <button
                  type="submit"
                  name="intent"
                  value="preview"
                  class="button"
                >
                  Preview
                </button>
                <button
                  type="submit"
                  name="intent"
                  value="save"
                  class="button primary"
                >
                  Save policy
                </button>
              </div>
            </form>
          </section>
          <section class="panel">
            <h2>Runs</h2>
            <p class="muted">
              Retention, then the purge of expired trash, then garbage
              collection run on a schedule; run them now:
            </p>
            <form method="post" action="/retention/run" class="toolbar">
              <Csrf session={session} />
              <input
                type="hidden"
                name="client"
                value={data.client?.id ?? ""}
              />
              <button type="submit" class="button primary" data-run-now>
                Run now{data.client ? ` (${data.client.name})` : ""}
              </button>
            </form>
            <MaintenanceRuns runs={data.runs} />
            <p>
              <a href="/trash">Trash</a>: versions deleted by an administrator.
            </p>
          </section>
        </div>
        <section class="panel">
          <h2>Preview</h2>
          {data.preview ? <PreviewTable preview={data.preview} /> : (
            <p>
              <a
                class="button"
                href={`/retention?preview=1`}
              >
                Preview the whole store
              </a>
            </p>
          )}
        </section>
      </Layout>
    );
  },
);

function PreviewTable(props: { preview: RetentionPreview }) {
  const p = props.preview;
  return (
    <>
      <p data-preview-summary>
        {formatCount(p.remove)} of {formatCount(p.versions)} versions in{" "}
        {formatCount(p.names)} names would be removed ({formatBytes(
          p.removeBytes,
        )}).{p.truncated ? ` Showing the first ${p.rows.length}.` : ""}
      </p>
      <TableBox rows={p.rows.length} empty="No versions.">
        <thead>
          <tr>
            <th>Client</th>
            <th>Name</th>
            <th class="num">#</th>
            <th>Stored</th>
            <th class="num">Size</th>
            <th>Verdict</th>
            <th>Why kept</th>
          </tr>
        </thead>
        <tbody>
          {p.rows.map((r) => (
            <tr key={r.id} data-version={r.id} data-keep={String(r.keep)}>
              <td>
                <code>{r.clientId.slice(0, 8)}</code>
              </td>
              <td>{r.fileName}</td>
              <td class="num">{r.number}</td>
              <td>{formatTime(r.storedAt)}</td>
              <td class="num">{formatBytes(r.size)}</td>
              <td>
                <span class={`badge ${r.keep ? "ok" : "bad"}`}>
                  {r.keep ? "keep" : "remove"}
                </span>
              </td>
              <td>{r.reasons.join("; ")}</td>
            </tr>
          ))}
        </tbody>
      </TableBox>
    </>
  );
}
