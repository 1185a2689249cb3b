/**
 * Browser side of the live data: one EventSource per page, shared by every
 * island through signals, that comes back by itself after a drop. The
 * browser's EventSource retries after network errors; when it gives up
 * (readyState CLOSED, e.g. the server answered 502 while restarting) we
 * open a new one with backoff.
 * @module
 */
import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { StatsSnapshot } from "../server/stats/snapshot.ts";

/**
 * Connection state shown by the live badge; "static" until a script opens
 * the stream, which is what a page without JavaScript keeps.
 */
export type LiveState = "static" | "connecting" | "live" | "reconnecting";

/** The latest statistics from the server; null until the first message. */
export const liveStats = signal<StatsSnapshot | null>(null);
/** Epoch ms (browser clock) when {@link liveStats} last changed. */
export const liveReceivedAt = signal(0);
export const liveState = signal<LiveState>("static");

/** Where the statistics stream lives. */
export const STATS_STREAM = "/events/stats";

let users = 0;
let stopStats: (() => void) | null = null;

/** Keeps the shared statistics stream open while the calling island is mounted. */
export function useLiveStats(): void {
  useEffect(() => {
    if (users++ === 0) {
      stopStats = openStream(STATS_STREAM, {
        stats(data) {
          liveStats.value = JSON.parse(data) as StatsSnapshot;
          liveReceivedAt.value = Date.now();
        },
      }, (state) => liveState.value = state);
    }
    return () => {
      if (--users === 0) {
        stopStats?.();
        stopStats = null;
      }
    };
  }, []);
}

/**
 * Opens an EventSource on `url`, calls `handlers[event]` with each message's
 * data and reports its state; returns the function that closes it for good.
 */
export function openStream(
  url: string,
  handlers: Record<string, (data: string) => void>,
  onState: (state: LiveState) => void,
): () => void {
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = 1000;
  let stopped = false;

  const connect = () => {
    source = new EventSource(url);
    source.onopen = () => {
      delay = 1000;
      onState("live");
    };
    source.onerror = () => {
      onState("reconnecting");
      if (source?.readyState === EventSource.CLOSED && !stopped) {
        source.close();
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15_000);
      }
    };
    for (const [event, handle] of Object.entries(handlers)) {
      source.addEventListener(
        event,
        (message) => handle((message as MessageEvent<string>).data),
      );
    }
  };
  onState("connecting");
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}
