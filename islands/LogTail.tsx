/** The live log tail with a level filter; the form works without scripts too. */
import { useEffect, useRef, useState } from "preact/hooks";
import type { LogEntry } from "../server/stats/log_buffer.ts";
import { LOG_LEVELS, type LogLevelName } from "../shared/log_levels.ts";
import { formatTime } from "../shared/format.ts";
import { LiveStateBadge } from "./LiveBadge.tsx";
import { type LiveState, openStream } from "../browser/live.ts";

const KEEP = 500;

export default function LogTail(
  props: { entries: LogEntry[]; level: LogLevelName },
) {
  const [level, setLevel] = useState(props.level);
  const [entries, setEntries] = useState(props.entries);
  const [state, setState] = useState<LiveState>("static");
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    return openStream(`/events/logs?level=${level}`, {
      backlog: (data) => setEntries(JSON.parse(data) as LogEntry[]),
      log: (data) =>
        setEntries((
          list,
        ) => [...list.slice(-(KEEP - 1)), JSON.parse(data) as LogEntry]),
    }, setState);
  }, [level]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [entries, follow]);

  const choose = (value: string) => {
    setLevel(value as LogLevelName);
    history.replaceState(null, "", `/logs?level=${value}`);
  };

  return (
    <div class="log-tail">
      <form
        class="toolbar"
        method="get"
        action="/logs"
        onSubmit={(e) => e.preventDefault()}
      >
        <label>
          Level at least{" "}
          <select
            name="level"
            value={level}
            onChange={(e) => choose(e.currentTarget.value)}
          >
            {LOG_LEVELS.map((l) => (
              <option value={l} selected={l === level}>{l}</option>
            ))}
          </select>
        </label>
        <button type="submit" class="button ghost">Apply</button>
        <label class="check">
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => setFollow(e.currentTarget.checked)}
          />{" "}
          Follow
        </label>
        <LiveStateBadge state={state} />
        <span class="muted">{entries.length} records</span>
      </form>
      <div class="log-box" ref={box} data-log-count={entries.length}>
        {entries.length === 0 && (
          <p class="empty">No log records at this level yet.</p>
        )}
        {entries.map((e) => (
          <div class={`log-line ${e.level}`} key={e.id}>
            <time>{formatTime(e.time).slice(11, 19)}</time>
            <span class={`level ${e.level}`}>{e.level}</span>
            <span class="category">{e.category}</span>
            <span class="message">
              {e.message}
              {e.properties && <span class="props">{e.properties}</span>}
            </span>
          </div>
        ))}
      </div>
    </div>
  );
}
