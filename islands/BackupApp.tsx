/**
 * The browser backup client (island): identity, uploads and history on one
 * page, talking to the JSON API. Everything that needs a browser (Web
 * Crypto, IndexedDB, files) happens after hydration.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import {
  ApiClientError,
  type ApiInfo,
  BackupApiClient,
  type History,
} from "../browser/backup/api.ts";
import { Connection } from "../browser/backup/connection.ts";
import { HistoryPanel } from "./backup/HistoryPanel.tsx";
import { RestorePanel } from "./backup/RestorePanel.tsx";
import {
  type IdentityActions,
  IdentityPanel,
  type Stage,
} from "./backup/IdentityPanel.tsx";
import {
  deleteIdentity,
  loadIdentity,
  saveIdentity,
} from "../browser/backup/identity_store.ts";
import { importPrivateKey } from "../browser/backup/keys.ts";
import {
  formatMeInfo,
  type Identity,
  parseMeInfo,
} from "../browser/backup/me_info.ts";
import { UploadPanel } from "./backup/UploadPanel.tsx";
import { useUploads } from "../browser/backup/use_uploads.ts";

/** A sentence for the user about a failed identity or history step. */
function describe(error: unknown, name?: string): string {
  if (error instanceof ApiClientError) {
    switch (error.code) {
      case "name_taken":
        return `The name "${name}" is already registered on this server. Choose another name, or import that identity's me.info file.`;
      case "reconnect_rejected":
        return "The server does not know this identity any more (it may have been deleted, or its key revoked). Forget it and register again.";
      case "rate_limited":
      case "too_many_sessions":
        return "The server is busy or this address tried too often; wait a minute and try again.";
      default:
        return error.message;
    }
  }
  return (error as Error).message;
}

function download(identity: Identity): void {
  const blob = new Blob([formatMeInfo(identity)], { type: "text/plain" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = "me.info";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export default function BackupApp(props: { apiBase?: string }) {
  const api = useRef(new BackupApiClient({ base: props.apiBase })).current;
  const [info, setInfo] = useState<ApiInfo>();
  const [stage, setStage] = useState<Stage>({ kind: "loading" });
  const [connection, setConnection] = useState<Connection>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [history, setHistory] = useState<History>();
  const [historyError, setHistoryError] = useState<string>();

  const start = useCallback(async () => {
    setError(undefined);
    try {
      const [serverInfo, identity] = await Promise.all([
        api.info(),
        loadIdentity(),
      ]);
      setInfo(serverInfo);
      setStage(identity ? { kind: "saved", identity } : { kind: "new" });
    } catch (failure) {
      setError(describe(failure));
      setStage({ kind: "new" });
    }
  }, []);
  useEffect(() => void start(), []);

  const refreshHistory = useCallback(async (current?: Connection) => {
    const target = current ?? connection;
    if (!target) return;
    try {
      setHistory(await target.history());
      setHistoryError(undefined);
    } catch (failure) {
      setHistoryError(describe(failure));
    }
  }, [connection]);

  useEffect(() => {
    if (!connection) return;
    const end = () => void connection.close();
    addEventListener("pagehide", end);
    return () => removeEventListener("pagehide", end);
  }, [connection]);

  const connected = (next: Connection) => {
    setConnection(next);
    setStage({ kind: "connected", identity: next.identity });
    void refreshHistory(next);
  };

  /** Runs an identity step with the page busy; failures become the panel's message. */
  const step = async (action: () => Promise<void>, name?: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(describe(failure, name));
    } finally {
      setBusy(false);
    }
  };

  const needInfo = async (): Promise<ApiInfo> => {
    if (info) return info;
    const loaded = await api.info();
    setInfo(loaded);
    return loaded;
  };

  const actions: IdentityActions = {
    register: (name) =>
      void step(async () => {
        const { oaepHash } = await needInfo();
        const next = await Connection.register(api, {
          name,
          hash: oaepHash,
          saved: async (identity) => {
            await saveIdentity(identity);
            setStage({ kind: "saved", identity });
          },
        });
        connected(next);
      }, name),
    continueSaved: () =>
      void step(async () => {
        if (stage.kind !== "saved") return;
        const { oaepHash } = await needInfo();
        const next = new Connection(api, {
          identity: stage.identity,
          hash: oaepHash,
        });
        await next.open();
        connected(next);
      }),
    importFile: (file) =>
      void step(async () => {
        let identity: Identity;
        try {
          identity = parseMeInfo(await file.text());
        } catch (problem) {
          throw new Error(
            `This is not an identity file: ${(problem as Error).message}`,
          );
        }
        const { oaepHash } = await needInfo();
        await importPrivateKey(identity.privateKey, oaepHash);
        await connection?.close();
        setConnection(undefined);
        await saveIdentity(identity);
        setStage({ kind: "saved", identity });
        const next = new Connection(api, { identity, hash: oaepHash });
        await next.open();
        connected(next);
      }),
    exportFile: () => {
      if (stage.kind === "saved" || stage.kind === "connected") {
        download(stage.identity);
      }
    },
    forget: () =>
      void step(async () => {
        if (
          !globalThis.confirm(
            "Forget this identity in this browser? Without an exported me.info file you cannot use it again.",
          )
        ) return;
        await connection?.close();
        setConnection(undefined);
        setHistory(undefined);
        await deleteIdentity();
        setStage({ kind: "new" });
      }),
  };

  const uploads = useUploads(connection, info, () => void refreshHistory());

  return (
    <div class="backup-app">
      <IdentityPanel
        stage={stage}
        busy={busy}
        error={error}
        actions={actions}
      />
      {error && !info && (
        <p>
          <button type="button" class="button" onClick={() => void start()}>
            Try again
          </button>
        </p>
      )}
      {stage.kind === "connected" && info && connection && (
        <>
          <UploadPanel uploads={uploads} maxFileBytes={info.maxFileBytes} />
          <HistoryPanel
            history={history}
            error={historyError}
            onRefresh={() => void refreshHistory()}
          />
          <RestorePanel connection={connection} reloadOn={history} />
        </>
      )}
    </div>
  );
}
