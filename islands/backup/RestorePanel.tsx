/**
 * Every kept version of this identity's files, each restorable: decrypted
 * and checked here, then saved (streamed to disk where the browser can).
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import type { Connection } from "../../browser/backup/connection.ts";
import type { VersionRecord } from "../../browser/backup/restore.ts";
import {
  canStreamToDisk,
  MEMORY_LIMIT,
  memorySink,
  pickFileSink,
} from "../../browser/backup/save.ts";
import { formatBytes, formatTime } from "../../shared/format.ts";

/** Where one version's restore stands. */
interface RowState {
  state: "running" | "done" | "failed";
  text: string;
}

const keyOf = (v: { fileName: string; number: number }) =>
  `${v.fileName}\u0000${v.number}`;

/**
 * The restore section of a connected identity; it lists the versions again
 * whenever `reloadOn` changes (the page's history after an upload).
 */
export function RestorePanel(
  props: { connection: Connection; reloadOn?: unknown },
) {
  const { connection } = props;
  const [versions, setVersions] = useState<VersionRecord[]>();
  const [error, setError] = useState<string>();
  const [rows, setRows] = useState<Record<string, RowState>>({});

  const load = useCallback(async () => {
    try {
      setVersions(await connection.versions());
      setError(undefined);
    } catch (failure) {
      setError((failure as Error).message);
    }
  }, [connection]);
  useEffect(() => void load(), [connection, props.reloadOn]);

  const mark = (v: VersionRecord, row: RowState) =>
    setRows((all) => ({ ...all, [keyOf(v)]: row }));

  const restore = async (v: VersionRecord) => {
    try {
      // The picker first, while the click still counts as the user's.
      const sink = canStreamToDisk()
        ? await pickFileSink(v.fileName)
        : memorySink(v.fileName, v.size);
      if (!sink) return;
      mark(v, { state: "running", text: "0%" });
      await connection.restore(v, sink, (done, size) =>
        mark(v, {
          state: "running",
          text: `${size ? Math.floor((done / size) * 100) : 100}%`,
        }));
      mark(v, { state: "done", text: "restored, checksum verified" });
    } catch (failure) {
      mark(v, { state: "failed", text: (failure as Error).message });
    }
  };

  return (
    <section class="panel" aria-labelledby="restore-heading">
      <h2 id="restore-heading">
        Restore
        <button
          type="button"
          class="button small ghost small-link"
          data-action="refresh-versions"
          onClick={() => void load()}
        >
          Refresh
        </button>
      </h2>
      <p class="muted">
        {canStreamToDisk()
          ? "Files are decrypted here and written straight to the file you choose."
          : `This browser keeps a restored file in memory before saving it: files over ${
            formatBytes(MEMORY_LIMIT)
          } need Chrome or Edge, or cyberbackup restore.`}
      </p>
      {error && <p class="flash bad" role="alert">{error}</p>}
      {!versions && !error && <p class="empty">Loading…</p>}
      {versions && versions.length === 0 && (
        <p class="empty">Nothing to restore yet.</p>
      )}
      {versions && versions.length > 0 && (
        <div class="table-box">
          <table data-restore="versions">
            <thead>
              <tr>
                <th>File</th>
                <th class="num">Version</th>
                <th>Stored</th>
                <th class="num">Size</th>
                <th class="num">cksum</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => {
                const row = rows[keyOf(v)];
                return (
                  <tr
                    key={keyOf(v)}
                    data-file={v.fileName}
                    data-version={v.number}
                    data-restore-state={row?.state ?? "idle"}
                  >
                    <td class="file-name" title={v.fileName}>{v.fileName}</td>
                    <td class="num">{v.number}</td>
                    <td>{formatTime(v.storedAt)}</td>
                    <td class="num">{formatBytes(v.size)}</td>
                    <td class="num mono">{v.checksum}</td>
                    <td>
                      <button
                        type="button"
                        class="button small"
                        data-action="restore"
                        disabled={row?.state === "running"}
                        onClick={() => void restore(v)}
                      >
                        Restore
                      </button>{" "}
                      {row && (
                        <span
                          class={row.state === "failed" ? "bad" : "muted"}
                          role="status"
                        >
                          {row.text}
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
