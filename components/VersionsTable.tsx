/** The versions of one name: what each is, and download, pin and trash actions. */
import type { Session } from "../server/portal/auth/sessions.ts";
import { versionDownloadHref } from "../server/portal/versions.ts";
import type { FileVersion } from "../server/storage/types.ts";
import { toHex } from "../shared/encoding.ts";
import { formatBytes } from "../shared/format.ts";
import { Csrf } from "./Layout.tsx";
import { Badge, TableBox, TimeCell } from "./Table.tsx";

/** The `?done=` messages of the acts on a version. */
export const VERSION_FLASHES = {
  "version-pinned": {
    kind: "ok",
    text: "Version pinned: retention will keep it.",
  },
  "version-unpinned": {
    kind: "ok",
    text: "Version unpinned: retention may remove it.",
  },
  "version-trashed": {
    kind: "ok",
    text: "Version moved to the trash; it can be restored until purged.",
  },
  "version-restored": { kind: "ok", text: "Version restored from the trash." },
} as const;

/** Hex digits of a BLAKE3 shown in the table; the whole digest is in the tooltip. */
const SHORT_HASH = 12;

export interface VersionsTableProps {
  versions: FileVersion[];
  /** The number of the newest kept version (what the files row and latest copy are). */
  latest: number | undefined;
  session: Session | undefined;
  /** The page to come back to after an act. */
  url: URL;
}

export function VersionsTable(props: VersionsTableProps) {
  const back = `${props.url.pathname}${props.url.search}`;
  return (
    <TableBox rows={props.versions.length} empty="No versions of this name.">
      <thead>
        <tr>
          <th class="num" title="Version number">#</th>
          <th>Stored</th>
          <th class="num">Size</th>
          <th>Checksum · BLAKE3</th>
          <th>Upload</th>
          <th>State</th>
          <th class="actions">Actions</th>
        </tr>
      </thead>
      <tbody>
        {props.versions.map((v) => {
          const form = (action: string, label: string, confirm?: string) => (
            <form
              method="post"
              action={`/files/versions/${action}`}
              data-confirm={confirm}
            >
              <Csrf session={props.session} />
              <input type="hidden" name="client" value={toHex(v.clientId)} />
              <input type="hidden" name="name" value={v.fileName} />
              <input type="hidden" name="number" value={v.number} />
              <input type="hidden" name="back" value={back} />
              <button
                type="submit"
                class={`button ghost small${confirm ? " danger" : ""}`}
              >
                {label}
              </button>
            </form>
          );
          return (
            <tr
              data-version={v.number}
              class={v.trashedAt ? "trashed" : undefined}
            >
              <td class="num">{v.number}</td>
              <TimeCell value={v.storedAt} />
              <td class="num">{formatBytes(v.size)}</td>
              <td class="stacked">
                <code>{v.checksum}</code>
                <code class="muted" title={v.blake3}>
                  {v.blake3.slice(0, SHORT_HASH)}
                </code>
              </td>
              <td class="stacked" title="Transport and dialect">
                {v.transport}
                {v.dialect && <span class="muted">{v.dialect}</span>}
              </td>
              <td class="badges">
                {v.number === props.latest && <Badge kind="info">latest</Badge>}
                {v.pinned && <Badge kind="ok">pinned</Badge>}
                {v.trashedAt && (
                  <span title={`Trashed ${v.trashedAt}`}>
                    <Badge kind="warn">trashed</Badge>
                  </span>
                )}
              </td>
              <td class="actions">
                <a
                  class="button ghost small"
                  href={versionDownloadHref(v)}
                  download
                >
                  Download
                </a>
                {v.pinned ? form("unpin", "Unpin") : form("pin", "Pin")}
                {v.trashedAt ? form("untrash", "Restore") : form(
                  "trash",
                  "Trash",
                  `Move version ${v.number} of ${v.fileName} to the trash?`,
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </TableBox>
  );
}
