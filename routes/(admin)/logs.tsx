/** The live log tail; without scripts, the stored records and a level form. */
import { Layout } from "../../components/Layout.tsx";
import LogTail from "../../islands/LogTail.tsx";
import { define, page } from "../../server/portal/define.ts";
import type { LogEntry } from "../../server/stats/log_buffer.ts";
import { type LogLevelName, parseLevel } from "../../shared/log_levels.ts";

interface LogsData {
  entries: LogEntry[];
  level: LogLevelName;
}

export const handler = define.handlers<LogsData>({
  GET(ctx) {
    const level = parseLevel(ctx.url.searchParams.get("level")) ?? "info";
    return page({
      entries: ctx.state.deps.logs.entries(level).slice(-200),
      level,
    });
  },
});

export default define.page<LogsData>(function Logs({ data, url, session }) {
  return (
    <Layout title="Logs" url={url} session={session}>
      <section class="panel">
        <LogTail entries={data.entries} level={data.level} />
      </section>
    </Layout>
  );
});
