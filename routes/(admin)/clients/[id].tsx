/** One client: its facts, files and upload history; delete it or revoke its key. */
import { Csrf, flashOf, Layout } from "../../../components/Layout.tsx";
import { FilesTable } from "../../../components/FilesTable.tsx";
import { Badge } from "../../../components/Table.tsx";
import { TransfersTable } from "../../../components/TransfersTable.tsx";
import {
  formatBytes,
  formatCount,
  formatTime,
} from "../../../islands/format.ts";
import { define, HttpError, page } from "../../../server/portal/define.ts";
import { parseClientId } from "../../../server/portal/params.ts";
import {
  type ClientRow,
  type FileRow,
  getClient,
  listFiles,
  listTransfers,
  type Page,
  type TransferRow,
} from "../../../server/storage/admin_queries.ts";

interface ClientData {
  client: ClientRow;
  files: Page<FileRow>;
  transfers: Page<TransferRow>;
}

export const handler = define.handlers<ClientData>({
  GET(ctx) {
    const id = parseClientId(ctx.params.id);
    const client = id && getClient(ctx.state.deps.db.handle, id);
    if (!id || !client) throw new HttpError(404);
    const db = ctx.state.deps.db.handle;
    return page({
      client,
      files: listFiles(db, {
        client: id,
        sort: "stored",
        dir: "desc",
        pageSize: 20,
      }),
      transfers: listTransfers(db, { client: id, pageSize: 20 }),
    });
  },
});

export default define.page<ClientData>(
  function ClientPage({ data, url, session }) {
    const { client, files, transfers } = data;
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
          </section>
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
