/** Choosing or dropping files, and each file's way through the phases. */
import { useState } from "preact/hooks";
import { formatBytes, formatPercent, formatRate } from "../../shared/format.ts";
import type { UploadItem, Uploads } from "../../browser/backup/use_uploads.ts";
import type { Phase } from "../../browser/backup/uploader.ts";

const STEPS: readonly Phase[] = ["connect", "encrypt", "upload", "verify"];

const ZONE_STYLE =
  "display:flex;flex-direction:column;align-items:center;gap:0.4rem;" +
  "padding:1.6rem 1rem;border:2px dashed var(--border);border-radius:var(--radius);" +
  "text-align:center;cursor:pointer;background:var(--surface-2)";
const ZONE_ACTIVE_STYLE =
  `${ZONE_STYLE};border-color:var(--accent);background:var(--accent-soft)`;
const HIDDEN_INPUT_STYLE =
  "position:absolute;width:1px;height:1px;opacity:0;overflow:hidden";

/** Where a file is, as one word for the `data-state` attribute and badge. */
function stateOf(
  item: UploadItem,
): "waiting" | "active" | "verified" | "failed" {
  const phase = item.progress.phase;
  if (phase === "verified" || phase === "failed") return phase;
  return phase === "queued" ? "waiting" : "active";
}

function Steps(props: { phase: Phase; failedIn?: Phase }) {
  const failed = props.phase === "failed";
  const index = STEPS.indexOf(
    failed ? props.failedIn ?? "connect" : props.phase,
  );
  const done = props.phase === "verified";
  return (
    <span class="steps" style="display:inline-flex;gap:0.3rem;flex-wrap:wrap">
      {STEPS.map((step, i) => {
        const kind = done || (index >= 0 && i < index)
          ? "ok"
          : i === index
          ? failed ? "bad" : "info"
          : "muted";
        return (
          <span
            key={step}
            class={`badge ${kind}`}
            data-step={step}
            aria-current={i === index ? "step" : undefined}
          >
            {step}
          </span>
        );
      })}
    </span>
  );
}

function UploadRow(props: { item: UploadItem }) {
  const { item } = props;
  const { progress } = item;
  const state = stateOf(item);
  const fraction = progress.total > 0 ? progress.bytes / progress.total : 0;
  // An average over a few kilobytes says nothing; show it for real transfers.
  const showRate = progress.rate > 0 &&
    (state === "active" || (state === "verified" && item.file.size >= 2 ** 20));
  return (
    <li data-file={item.name} data-state={state} data-phase={progress.phase}>
      <div class="progress-head">
        <span class="progress-file" title={item.file.name}>{item.name}</span>
        <span class="progress-pct">
          {state === "verified"
            ? <span class="badge ok">verified</span>
            : state === "failed"
            ? <span class="badge bad">failed</span>
            : formatPercent(fraction)}
        </span>
      </div>
      <progress
        max={Math.max(1, progress.total)}
        value={state === "verified"
          ? Math.max(1, progress.total)
          : Math.min(progress.bytes, progress.total)}
        aria-label={`Upload of ${item.name}`}
      />
      <div class="progress-meta" style="flex-wrap:wrap;align-items:center">
        <Steps phase={progress.phase} failedIn={item.failedIn} />
        <span data-role="bytes">
          {formatBytes(Math.min(progress.bytes, item.file.size))} of{" "}
          {formatBytes(item.file.size)}
        </span>
        {showRate && (
          <span data-role="rate">
            {state === "verified" ? "average " : ""}
            {formatRate(progress.rate)}
          </span>
        )}
        {progress.attempt > 1 && (
          <span class="badge warn">try {progress.attempt} of 3</span>
        )}
        {item.checksum !== undefined && (
          <span class="mono" title="POSIX cksum">cksum {item.checksum}</span>
        )}
        {item.name !== item.file.name && (
          <span title={item.file.name}>stored as {item.name}</span>
        )}
      </div>
      {item.message && (
        <p class="flash bad" role="alert" style="margin:0.4rem 0 0">
          {item.message}
        </p>
      )}
    </li>
  );
}

/** The drop zone and the list of files. */
export function UploadPanel(
  props: { uploads: Uploads; maxFileBytes: number },
) {
  const { uploads } = props;
  const [dragging, setDragging] = useState(false);
  const finished = uploads.items.some((item) =>
    stateOf(item) === "verified" || stateOf(item) === "failed"
  );
  return (
    <section class="panel" aria-labelledby="upload-heading">
      <h2 id="upload-heading">Back up files</h2>
      <label
        style={dragging ? ZONE_ACTIVE_STYLE : ZONE_STYLE}
        data-role="dropzone"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          uploads.add(event.dataTransfer?.files ?? []);
        }}
      >
        <strong>Drop files here, or choose files</strong>
        <span class="muted">
          Encrypted in this browser before they leave it; up to{" "}
          {formatBytes(props.maxFileBytes)} each.
        </span>
        <span class="button primary" aria-hidden="true">Choose files</span>
        <input
          type="file"
          multiple
          data-role="files"
          style={HIDDEN_INPUT_STYLE}
          onChange={(event) => {
            const input = event.currentTarget;
            uploads.add(Array.from(input.files ?? []));
            input.value = "";
          }}
        />
      </label>
      {uploads.items.length > 0 && (
        <ul class="progress-list" style="margin-top:1.1rem" data-uploads>
          {uploads.items.map((item) => <UploadRow key={item.id} item={item} />)}
        </ul>
      )}
      {finished && (
        <p style="margin:0.9rem 0 0">
          <button
            type="button"
            class="button small ghost"
            onClick={uploads.clearFinished}
          >
            Clear finished
          </button>
        </p>
      )}
    </section>
  );
}
