/** Every version of one client's file, newest first, with their acts. */
import { flashOf, Layout } from "../../../../components/Layout.tsx";
import { Pagination } from "../../../../components/Table.tsx";
import {
  VERSION_FLASHES,
  VersionsTable,
} from "../../../../components/VersionsTable.tsx";
import { define, HttpError, page } from "../../../../server/portal/define.ts";
import {
  parseClientId,
  positiveInt,
} from "../../../../server/portal/params.ts";
import { fileQuery } from "../../../../server/portal/versions.ts";
import type {
  ClientRow,
  FileVersion,
  Page,
} from "../../../../server/storage/types.ts";
import { formatCount } from "../../../../shared/format.ts";

interface VersionsData {
  client: ClientRow;
  fileName: string;
  versions: Page<FileVersion>;
  /** Number of the newest kept version, if any is kept. */
  latest: number | undefined;
}

/** Far enough ahead that `versions.at` answers the newest kept version. */
const END_OF_TIME = "9999-12-31T23:59:59.999Z";

export const handler = define.handlers<VersionsData>({
  GET(ctx) {
    const params = ctx.url.searchParams;
    const id = parseClientId(params.get("client"));
    const fileName = params.get("name") ?? "";
    const db = ctx.state.deps.db;
    const client = id && db.clients.get(id);
    if (!id || !client || !fileName) throw new HttpError(404);
    const versions = db.versions.page(id, fileName, {
      page: positiveInt(params.get("page"), 1),
    });
    if (versions.total === 0) throw new HttpError(404);
    return page({
      client,
      fileName,
      versions,
      latest: db.versions.at(id, fileName, END_OF_TIME)?.number,
    });
  },
});

export default define.page<VersionsData>(
  function Versions({ data, url, session }) {
    const { client, fileName, versions } = data;
    return (
      <Layout
        title={fileName}
        url={url}
        session={session}
        flash={flashOf(url, VERSION_FLASHES)}
        actions={data.latest !== undefined && (
          <a
            class="button ghost small"
            href={`/files/download?${fileQuery(client.id, fileName)}`}
            download
          >
            Download latest
          </a>
        )}
      >
        <p class="muted">
          {formatCount(versions.total)} versions of this name from{" "}
          <a href={`/clients/${client.id}`}>{client.name}</a>, newest first.
          Pinned versions are never pruned; trashed ones are purged after the
          trash delay.
        </p>
        <VersionsTable
          versions={versions.rows}
          latest={data.latest}
          session={session}
          url={url}
        />
        <Pagination
          url={url}
          page={versions.page}
          pageSize={versions.pageSize}
          total={versions.total}
        />
      </Layout>
    );
  },
);
