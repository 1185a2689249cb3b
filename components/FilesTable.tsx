/** A table of stored files with their version counts, and download and delete actions. */
import { Csrf } from "./Layout.tsx";
import type { Session } from "../server/portal/auth/sessions.ts";
import {
  type CountedFileRow,
  fileQuery,
  versionsHref,
} from "../server/portal/versions.ts";
import { formatBytes, formatCount } from "../shared/format.ts";
import { Badge, SortHeader, TableBox, TimeCell } from "./Table.tsx";

export interface FilesTableProps {
  rows: CountedFileRow[];
  session: Session | undefined;
  url: URL;
  showClient: boolean;
  /** Sortable headers when given. */
  sort?: { current: string; dir: "asc" | "desc" };
}

export function FilesTable(props: FilesTableProps) {
  const back = `${props.url.pathname}${props.url.search}`;
  const header = (key: string, label: string) =>
    props.sort
      ? (
        <SortHeader
          url={props.url}
          sort={key}
          current={props.sort.current}
          dir={props.sort.dir}
        >
          {label}
        </SortHeader>
      )
      : <th>{label}</th>;
  return (
    <TableBox rows={props.rows.length} empty="No stored files.">
      <thead>
        <tr>
          {header("name", "File")}
          {props.showClient && <th>Client</th>}
          {header("size", "Size")}
          <th>Checksum</th>
          <th>State</th>
          {header("stored", "Stored")}
          <th class="actions">Actions</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((f) => {
          const query = fileQuery(f.clientId, f.fileName);
          return (
            <tr data-file={f.fileName}>
              <td class="file-name grow" title={f.pathName}>{f.fileName}</td>
              {props.showClient && (
                <td class="clip" title={f.clientName ?? f.clientId}>
                  <a href={`/clients/${f.clientId}`}>
                    {f.clientName ?? f.clientId.slice(0, 12)}
                  </a>
                </td>
              )}
              <td class="num">{formatBytes(f.size)}</td>
              <td>
                <code>{f.checksum ?? "–"}</code>
              </td>
              <td>
                {f.verified
                  ? <Badge kind="ok">verified</Badge>
                  : <Badge kind="warn">unverified</Badge>}
              </td>
              <TimeCell
                value={f.storedAt}
                below={f.versions > 0 && (
                  <a
                    href={versionsHref(f.clientId, f.fileName)}
                    data-versions={f.versions}
                  >
                    {f.versions === 1
                      ? "1 version"
                      : `${formatCount(f.versions)} versions`}
                  </a>
                )}
              />
              <td class="actions">
                <a
                  class="button ghost small"
                  href={`/files/download?${query}`}
                  download
                >
                  Download
                </a>
                <form
                  method="post"
                  action="/files/delete"
                  data-confirm={`Delete ${f.fileName}?`}
                >
                  <Csrf session={props.session} />
                  <input type="hidden" name="client" value={f.clientId} />
                  <input type="hidden" name="name" value={f.fileName} />
                  <input type="hidden" name="back" value={back} />
                  <button type="submit" class="button ghost small danger">
                    Delete
                  </button>
                </form>
              </td>
            </tr>
          );
        })}
      </tbody>
    </TableBox>
  );
}
