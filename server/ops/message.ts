/**
 * How an event reads as a mail: a subject and a plain-text body. Pure.
 * Client names come from clients (untrusted): the SMTP layer strips
 * control characters from headers.
 * @module
 */
import { formatBytes } from "../../shared/format.ts";
import type { OpsEvent } from "./events.ts";
import { CLIENT_STATES, STATE_LABELS } from "./state.ts";

/** Subject and body of the mail about `event`. */
export function mailOf(event: OpsEvent): { subject: string; text: string } {
  const tag = "[CyberBackup]";
  switch (event.type) {
    case "client.state": {
      const label = STATE_LABELS[event.state];
      const verb = event.renotify ? "is still" : "is now";
      return {
        subject: `${tag} client ${event.client.name} ${verb} ${label}`,
        text: [
          `Client ${event.client.name} (${event.client.id}) ${verb} ${label}.`,
          `Why: ${event.reason}.`,
          event.previous ? `Before: ${STATE_LABELS[event.previous]}.` : "",
          `Since: ${event.since}.`,
        ].filter(Boolean).join("\n"),
      };
    }
    case "disk.low":
      return {
        subject: `${tag} data disk below the free-space watermark`,
        text: `${formatBytes(event.freeBytes)} free, below the watermark of ${
          formatBytes(event.watermark)
        }: new uploads are refused until space is freed.`,
      };
    case "disk.ok":
      return {
        subject: `${tag} data disk has room again`,
        text: `${formatBytes(event.freeBytes)} free, above the watermark of ${
          formatBytes(event.watermark)
        }.`,
      };
    case "retention.error":
      return {
        subject: `${tag} retention failed`,
        text: `${
          event.client ? `Client ${event.client}: ` : ""
        }${event.message}`,
      };
    case "gc.error":
      return {
        subject: `${tag} garbage collection failed`,
        text: event.message,
      };
    case "server.start":
      return {
        subject: `${tag} server started`,
        text: `CyberBackup ${event.version} started.`,
      };
    case "server.stop":
      return {
        subject: `${tag} server stopping`,
        text: `CyberBackup ${event.version} is shutting down.`,
      };
    case "test":
      return {
        subject: `${tag} test notification`,
        text: `A test sent by ${event.by} from the portal. It works.`,
      };
    case "summary.daily": {
      const counts = CLIENT_STATES.map((s) =>
        `  ${STATE_LABELS[s].padEnd(11)} ${event.counts[s]}`
      );
      const attention = event.attention.map((c) =>
        `  ${c.name}: ${STATE_LABELS[c.state]} (${c.reason})`
      );
      const total = Object.values(event.counts).reduce((a, b) => a + b, 0);
      return {
        subject: `${tag} daily summary ${event.day}: ${
          total - event.counts.ok
        } of ${total} clients need attention`,
        text: [
          `Clients by state:`,
          ...counts,
          ``,
          `Stored: ${formatBytes(event.storedBytes)}`,
          `Failed upload attempts in the last 24 h: ${event.failures}`,
          ...(attention.length ? ["", "Needing attention:", ...attention] : []),
        ].join("\n"),
      };
    }
  }
}
