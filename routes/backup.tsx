/**
 * `/backup`: the browser backup client for end users (no admin sign-in).
 * The page is a frame around the BackupApp island, which does the work in
 * the browser through the JSON API (routes/api/v1/).
 */
import { Head } from "../components/Layout.tsx";
import { Icon } from "../components/Icon.tsx";
import BackupApp from "../islands/BackupApp.tsx";
import { define, page } from "../server/portal/define.ts";
import { IslandScripts } from "../server/portal/islands.ts";

/** What the page renders with. */
export interface BackupPageData {
  apiBase: string;
}

/** The page needs only where the API is; the island asks it for the rest. */
export const handler = define.handlers<BackupPageData>({
  GET() {
    return page({ apiBase: "/api/v1" });
  },
});

const FRAME_STYLE = "max-width:960px;margin:0 auto;padding:1.5rem 1rem 3rem";
const HEAD_STYLE =
  "display:flex;align-items:center;justify-content:space-between;gap:1rem;" +
  "flex-wrap:wrap;margin-bottom:1.25rem";

export default define.page<BackupPageData>(function Backup({ data }) {
  return (
    <html lang="en">
      <Head title="Back up files" />
      <body>
        <main style={FRAME_STYLE}>
          <header style={HEAD_STYLE}>
            <span class="brand">
              <Icon name="shield" />
              <span>CyberBackup</span>
            </span>
            <span class="muted">Encrypted backup from your browser</span>
          </header>
          <BackupApp apiBase={data.apiBase} />
          <noscript>
            <p class="flash bad">
              This page needs JavaScript: files are encrypted in your browser
              before they are sent.
            </p>
          </noscript>
        </main>
        <IslandScripts />
      </body>
    </html>
  );
});
