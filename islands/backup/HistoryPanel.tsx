/** This identity's stored files and recent uploads, as the server records them. */
import { formatBytes, formatTime } from "../../shared/format.ts";
import type { History } from "../../browser/backup/api.ts";

const OUTCOME_BADGE: Record<string, string> = {
  verified: "ok",
  failed: "bad",
  aborted: "warn",
  interrupted: "warn",
  in_progress: "info",
};

/** The history section; `history` undefined while it loads. */
export function HistoryPanel(
  props: { history?: History; error?: string; onRefresh(): void },
) {
  const { history } = props;
  return (
    <section class="panel" aria-labelledby="history-heading">
      <h2 id="history-heading">
        Your backups
        <button
          type="button"
          class="button small ghost small-link"
          data-action="refresh"
          onClick={props.onRefresh}
        >
          Refresh
        </button>
      </h2>
      {props.error && <p class="flash bad" role="alert">{props.error}</p>}
      {!history && !props.error && <p class="empty">Loading…</p>}
      {history && history.files.length === 0 && (
        <p class="empty">No files stored yet.</p>
      )}
      {history && history.files.length > 0 && (
        <div class="table-box">
          <table data-history="files">
            <thead>
              <tr>
                <th>File</th>
                <th class="num">Size</th>
                <th class="num">cksum</th>
                <th>State</th>
                <th>Stored</th>
              </tr>
            </thead>
            <tbody>
              {history.files.map((file) => (
                <tr
                  key={file.fileName}
                  data-file={file.fileName}
                  data-verified={String(file.verified)}
                >
                  <td class="file-name" title={file.fileName}>
                    {file.fileName}
                  </td>
                  <td class="num">{formatBytes(file.size)}</td>
                  <td class="num mono">{file.checksum ?? "–"}</td>
                  <td>
                    {file.verified
                      ? <span class="badge ok">verified</span>
                      : <span class="badge warn">unverified</span>}
                  </td>
                  <td>{formatTime(file.storedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {history && history.transfers.length > 0 && (
        <>
          <h2 style="margin-top:1.25rem">Recent uploads</h2>
          <div class="table-box">
            <table data-history="transfers">
              <thead>
                <tr>
                  <th>File</th>
                  <th>Via</th>
                  <th>Outcome</th>
                  <th class="num">Tries</th>
                  <th>Started</th>
                </tr>
              </thead>
              <tbody>
                {history.transfers.map((t, i) => (
                  <tr key={`${t.startedAt}-${i}`} data-outcome={t.outcome}>
                    <td class="file-name" title={t.error ?? t.fileName}>
                      {t.fileName}
                    </td>
                    <td>
                      {t.transport === "http" ? "browser" : "command line"}
                    </td>
                    <td>
                      <span
                        class={`badge ${OUTCOME_BADGE[t.outcome] ?? "muted"}`}
                      >
                        {t.outcome.replace("_", " ")}
                      </span>
                    </td>
                    <td class="num">{t.attempts}</td>
                    <td>{formatTime(t.startedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
