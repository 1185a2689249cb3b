/** One client: its facts, files and upload history; delete it or revoke its key. */
import { Csrf, flashOf, Layout } from "../../../components/Layout.tsx";
import { FilesTable } from "../../../components/FilesTable.tsx";
import { ClientHistoryPanel } from "../../../components/HistoryPanels.tsx";
import { StateBadge } from "../../../components/Health.tsx";
import { Badge } from "../../../components/Table.tsx";
import type { ClientHealth } from "../../../server/ops/health.ts";
import { healthNow } from "../../../server/ops/portal.ts";
import { TransfersTable } from "../../../components/TransfersTable.tsx";
import {
  formatBytes,
  formatCount,
  formatTime,
} from "../../../shared/format.ts";
import { define, HttpError, page } from "../../../server/portal/define.ts";
import { parseClientId } from "../../../server/portal/params.ts";
import {
  type ClientHistory,
  clientHistory,
  retentionHref,
} from "../../../server/portal/client_history.ts";
import {
  type CountedFileRow,
  withVersionCounts,
} from "../../../server/portal/versions.ts";
import {
  type ClientDialect,
  type ClientRow,
  type Page,
  type TransferRow,
} from "../../../server/storage/types.ts";

interface ClientData {
  client: ClientRow;
  dialect: ClientDialect | undefined;
  history: ClientHistory;
  files: Page<CountedFileRow>;
  transfers: Page<TransferRow>;
  /** Now in UTC as a `datetime-local` value: the default of the zip form. */
  now: string;
  health: ClientHealth | undefined;
}

export const handler = define.handlers<ClientData>({
  GET(ctx) {
    const id = parseClientId(ctx.params.id);
    const client = id && ctx.state.deps.db.clients.get(id);
    if (!id || !client) throw new HttpError(404);
    const db = ctx.state.deps.db;
    return page({
      client,
      dialect: db.clients.dialect(id),
      history: clientHistory(db, id),
      files: withVersionCounts(
        db,
        db.files.list({
          client: id,
          sort: "stored",
          dir: "desc",
          pageSize: 20,
        }),
      ),
      transfers: db.transfers.list({ client: id, pageSize: 20 }),
      now: new Date().toISOString().slice(0, 19),
      health: healthNow(ctx.state.deps, [id])[0],
    });
  },
});

const KEY_FIELDS: Record<string, string> = {
  "160": "160-byte field, 160-byte key (e = 17), as specified",
  "162-junk": "162-byte field: 160-byte key (e = 17) and 2 ignored bytes",
  "162": "162-byte field, 162-byte key (e = 65537)",
};

const SIZE_MEANINGS: Record<string, string> = {
  "total": "size of the whole encrypted file",
  "per-packet": "size of each packet's content",
  "either": "not known yet (only single-packet uploads, which fit both)",
};

/** The client's dialect (docs/protocol.md, "Dialects"), as far as known. */
function HowItSpeaks({ dialect }: { dialect: ClientDialect | undefined }) {
  const unknown = <span class="muted">not seen yet</span>;
  return (
    <section class="panel">
      <h2>How it speaks</h2>
      <dl class="facts">
        <dt>Key field</dt>
        <dd>
          {dialect?.keyField
            ? KEY_FIELDS[dialect.keyField] ?? dialect.keyField
            : unknown}
        </dd>
        <dt>IV prefix</dt>
        <dd>
          {dialect?.ivPrefix == null
            ? unknown
            : dialect.ivPrefix
            ? "yes: 16 zero bytes open each upload"
            : "no"}
        </dd>
        <dt>ContentSize</dt>
        <dd>
          {dialect?.sizeMeaning
            ? SIZE_MEANINGS[dialect.sizeMeaning] ?? dialect.sizeMeaning
            : unknown}
        </dd>
      </dl>
    </section>
  );
}

export default define.page<ClientData>(
  function ClientPage({ data, url, session }) {
    const { client, dialect, history, files, transfers, now } = data;
    return (
      <Layout
        title={client.name}
        url={url}
        session={session}
        flash={flashOf(url)}
      >
        <div class="grid-2">
          <section class="panel">
            <h2>Client</h2>
            <dl class="facts">
              <dt>Client id</dt>
              <dd>
                <code>{client.id}</code>
              </dd>
              <dt>Registered</dt>
              <dd>{formatTime(client.createdAt)}</dd>
              <dt>Last seen</dt>
              <dd>{formatTime(client.lastSeen)}</dd>
              <dt>Public key</dt>
              <dd>
                {client.hasKey
                  ? <Badge kind="ok">on file</Badge>
                  : <Badge kind="muted">none</Badge>}
              </dd>
              <dt>State</dt>
              <dd>
                {data.health && (
                  <>
                    <StateBadge state={data.health.state} />{" "}
                    <span class="muted">{data.health.reason}</span>
                  </>
                )}
              </dd>
              <dt>Last success</dt>
              <dd>{formatTime(data.health?.lastSuccessAt ?? null)}</dd>
              <dt>Files</dt>
              <dd>
                {formatCount(client.verified)} verified of{" "}
                {formatCount(client.files)} · {formatBytes(client.bytes)}
              </dd>
            </dl>
          </section>
          <section class="panel">
            <h2>Actions</h2>
            <form
              method="post"
              action={`/clients/${client.id}/revoke`}
              class="action"
              data-confirm={`Revoke the key of ${client.name}? It will have to register again.`}
            >
              <Csrf session={session} />
              <button type="submit" class="button" disabled={!client.hasKey}>
                Revoke key
              </button>
              <span class="muted">
                Forgets its public key: its next reconnect is rejected.
              </span>
            </form>
            <form
              method="post"
              action={`/clients/${client.id}/rekey`}
              class="action"
              data-confirm={`Re-key ${client.name}? Its key is forgotten; whoever next registers as ${client.name} with id ${client.id} gets a new key and its whole history.`}
            >
              <Csrf session={session} />
              <button type="submit" class="button" disabled={!client.hasKey}>
                Re-key
              </button>
              <span class="muted">
                For an owner who lost me.info: keeps id, name and history; the
                client registers again under this id.
              </span>
            </form>
            <form
              method="post"
              action={`/clients/${client.id}/zip`}
              class="action"
            >
              <Csrf session={session} />
              <label>
                Files as at (UTC){" "}
                <input
                  type="datetime-local"
                  name="at"
                  step="1"
                  value={now}
                  required
                />
              </label>
              <button type="submit" class="button">Download zip</button>
              <span class="muted">
                The newest version of each file stored by then, as one zip.
              </span>
            </form>
            <form
              method="post"
              action={`/clients/${client.id}/delete`}
              class="action"
              data-confirm={`Delete ${client.name} and its ${client.files} stored files? This cannot be undone.`}
            >
              <Csrf session={session} />
              <button type="submit" class="button danger">Delete client</button>
              <span class="muted">
                Removes the client, its file records and its stored files.
              </span>
            </form>
            <form
              method="post"
              action={`/clients/${client.id}/interval`}
              class="action"
            >
              <Csrf session={session} />
              <label>
                Expected backup interval (seconds)
                <input
                  name="interval"
                  type="text"
                  inputmode="numeric"
                  value={data.health?.ownInterval ?? ""}
                  placeholder={`default: ${
                    data.health?.intervalSeconds ?? 86400
                  }`}
                />
              </label>
              <button type="submit" class="button">Save interval</button>
            </form>
          </section>
        </div>
        <div class="grid-2">
          <ClientHistoryPanel
            history={history}
            retentionHref={retentionHref(client.id)}
          />
          <HowItSpeaks dialect={dialect} />
        </div>
        <section class="panel">
          <h2>
            Files{" "}
            <a class="small-link" href={`/files?client=${client.id}`}>
              all {formatCount(files.total)} →
            </a>
          </h2>
          <FilesTable
            rows={files.rows}
            session={session}
            url={url}
            showClient={false}
          />
        </section>
        <section class="panel">
          <h2>
            History{" "}
            <a class="small-link" href={`/transfers?client=${client.id}`}>
              all {formatCount(transfers.total)} →
            </a>
          </h2>
          <TransfersTable rows={transfers.rows} showClient={false} />
        </section>
      </Layout>
    );
  },
);
