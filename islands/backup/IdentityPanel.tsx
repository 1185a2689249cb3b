/** Who is backing up: register a name, continue as the saved identity, import or export it. */
import { useState } from "preact/hooks";
import type { Identity } from "../../browser/backup/me_info.ts";
import { checkUserName, MAX_USER_NAME } from "../../server/protocol/names.ts";

/** Where the page is with the identity. */
export type Stage =
  | { kind: "loading" }
  | { kind: "new" }
  | { kind: "saved"; identity: Identity }
  | { kind: "connected"; identity: Identity };

/** What the identity panel can ask the page to do. */
export interface IdentityActions {
  register(name: string): void;
  continueSaved(): void;
  importFile(file: File): void;
  exportFile(): void;
  forget(): void;
}

const HIDDEN_INPUT_STYLE =
  "position:absolute;width:1px;height:1px;opacity:0;overflow:hidden";

function ImportButton(props: { actions: IdentityActions; busy: boolean }) {
  return (
    <label class={`button${props.busy ? " disabled" : ""}`}>
      Import me.info
      <input
        type="file"
        accept=".info,text/plain"
        data-role="import"
        style={HIDDEN_INPUT_STYLE}
        disabled={props.busy}
        onChange={(event) => {
          const input = event.currentTarget;
          const file = input.files?.[0];
          input.value = "";
          if (file) props.actions.importFile(file);
        }}
      />
    </label>
  );
}

function RegisterForm(props: { actions: IdentityActions; busy: boolean }) {
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<string | undefined>();
  return (
    <form
      class="stack"
      style="max-width:28rem"
      onSubmit={(event) => {
        event.preventDefault();
        const reason = checkUserName(name);
        setProblem(reason && `Cannot use this name: ${reason}.`);
        if (!reason) props.actions.register(name);
      }}
    >
      <label>
        Your name on this server
        <input
          name="name"
          value={name}
          maxLength={MAX_USER_NAME}
          autocomplete="username"
          required
          onInput={(event) => setName(event.currentTarget.value)}
        />
      </label>
      {problem && <p class="flash bad" role="alert">{problem}</p>}
      <div class="page-actions">
        <button
          type="submit"
          class="button primary"
          data-action="register"
          disabled={props.busy}
        >
          {props.busy ? "Registering…" : "Register"}
        </button>
        <ImportButton actions={props.actions} busy={props.busy} />
      </div>
      <p class="muted" style="margin:0;font-size:0.88rem">
        Your RSA key pair is made in this browser and saved here; the server
        never sees the private key. Export the identity to back up from another
        browser or with <code>cyberbackup backup</code>.
      </p>
    </form>
  );
}

/** The identity section of the page. */
export function IdentityPanel(
  props: {
    stage: Stage;
    busy: boolean;
    error?: string;
    actions: IdentityActions;
  },
) {
  const { stage, actions, busy } = props;
  return (
    <section
      class="panel"
      aria-labelledby="identity-heading"
      data-stage={stage.kind}
    >
      <h2 id="identity-heading">
        {stage.kind === "connected" ? "Connected" : "Your identity"}
      </h2>
      {props.error && <p class="flash bad" role="alert">{props.error}</p>}
      {stage.kind === "loading" && <p class="muted">Loading…</p>}
      {stage.kind === "new" && <RegisterForm actions={actions} busy={busy} />}
      {(stage.kind === "saved" || stage.kind === "connected") && (
        <div class="stack" style="max-width:none">
          <dl class="facts">
            <dt>Name</dt>
            <dd data-identity={stage.identity.name}>
              <strong>{stage.identity.name}</strong>
              {stage.kind === "connected" && (
                <span class="badge ok">session open</span>
              )}
            </dd>
            <dt>Client id</dt>
            <dd>
              <code class="id">{stage.identity.clientId}</code>
            </dd>
          </dl>
          <div class="page-actions" style="flex-wrap:wrap">
            {stage.kind === "saved" && (
              <button
                type="button"
                class="button primary"
                data-action="continue"
                disabled={busy}
                onClick={actions.continueSaved}
              >
                {busy ? "Connecting…" : `Continue as ${stage.identity.name}`}
              </button>
            )}
            <button
              type="button"
              class="button"
              data-action="export"
              onClick={actions.exportFile}
            >
              Export me.info
            </button>
            {stage.kind === "saved" && (
              <ImportButton actions={actions} busy={busy} />
            )}
            <button
              type="button"
              class="button danger"
              data-action="forget"
              disabled={busy}
              onClick={actions.forget}
            >
              Forget this identity
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
