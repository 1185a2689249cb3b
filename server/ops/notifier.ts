/**
 * Notifications: `notify(event)` sends an {@link OpsEvent} over every
 * configured channel (webhook, mail), in the background, and logs each
 * delivery in the database for the portal. The server installs one
 * Notifier at start (server/serve.ts); other parts of the server call the
 * module-level {@link notify} (retention and GC errors, for instance).
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { DeliveryRow } from "../storage/ops_types.ts";
import type { OpsEvent } from "./events.ts";
import { mailOf } from "./message.ts";
import type { OpsSettings } from "./settings.ts";
import { sendMail, type SmtpOptions } from "./smtp.ts";
import { deliverWebhook } from "./webhook.ts";

const logger = getLogger(["cyberbackup", "ops"]);

/** Events that go to webhooks only: the summary is a mail. */
const MAIL_ONLY: ReadonlySet<OpsEvent["type"]> = new Set(["summary.daily"]);

/** What a Notifier needs. */
export interface NotifierOptions {
  /** The current settings, read at each notification (the portal may change them). */
  settings: () => OpsSettings;
  /** Logs a delivery (the database's delivery log). */
  record: (row: Omit<DeliveryRow, "id">) => void;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Sends events over the configured channels. */
export class Notifier {
  readonly #options: NotifierOptions;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: NotifierOptions) {
    this.#options = options;
  }

  /**
   * Sends `event` over every configured channel in the background; never
   * throws. The returned promise settles when every delivery is done
   * (tests and the "send test" button wait for it).
   */
  notify(event: OpsEvent): Promise<void> {
    const settings = this.#options.settings();
    const jobs: Promise<void>[] = [];
    if (settings.webhook.url && !MAIL_ONLY.has(event.type)) {
      jobs.push(this.#webhook(event, settings));
    }
    if (settings.smtp.host && settings.smtp.to.length > 0) {
      jobs.push(this.#mail(event, settings));
    }
    if (jobs.length === 0) {
      logger.debug("No notification channel for {type}", { type: event.type });
    }
    const all = Promise.all(jobs).then(() => {});
    this.#pending.add(all);
    all.finally(() => this.#pending.delete(all));
    return all;
  }

  /** Waits for deliveries under way, at most `timeoutMs` (at shutdown). */
  async drain(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...this.#pending]),
      new Promise((r) => timer = setTimeout(r, timeoutMs)),
    ]);
    clearTimeout(timer);
  }

  #now(): string {
    return new Date(this.#options.now?.() ?? Date.now()).toISOString();
  }

  #log(row: Omit<DeliveryRow, "id" | "at">): void {
    try {
      this.#options.record({ ...row, at: this.#now() });
    } catch (error) {
      logger.error("Cannot log a notification delivery: {error}", { error });
    }
    const level = row.status === "delivered" ? "info" : "error";
    logger[level](
      "Notification {event} over {channel} to {target}: {status} ({detail})",
      { ...row },
    );
  }

  async #webhook(event: OpsEvent, settings: OpsSettings): Promise<void> {
    const id = crypto.randomUUID();
    const body = JSON.stringify({ id, at: this.#now(), ...event });
    const result = await deliverWebhook(settings.webhook, body, {
      "X-CyberBackup-Event": event.type,
      "X-CyberBackup-Delivery": id,
    }, { fetch: this.#options.fetch });
    this.#log({
      channel: "webhook",
      event: event.type,
      target: redactUrl(settings.webhook.url),
      status: result.ok ? "delivered" : "failed",
      attempts: result.attempts,
      detail: result.detail,
    });
  }

  async #mail(event: OpsEvent, settings: OpsSettings): Promise<void> {
    const s = settings.smtp;
    const options: SmtpOptions = {
      host: s.host,
      port: s.port,
      security: s.security,
      user: s.user || undefined,
      password: s.password,
      caCerts: s.caCert ? [s.caCert] : undefined,
    };
    const { subject, text } = mailOf(event);
    const target = s.to.join(", ");
    try {
      const reply = await sendMail(options, {
        from: s.from || `cyberbackup@${s.host}`,
        to: s.to,
        subject,
        text,
      });
      this.#log({
        channel: "email",
        event: event.type,
        target,
        status: "delivered",
        attempts: 1,
        detail: reply,
      });
    } catch (error) {
      this.#log({
        channel: "email",
        event: event.type,
        target,
        status: "failed",
        attempts: 1,
        detail: (error as Error).message,
      });
    }
  }
}

/** A URL for the log: without user info or query (they may hold tokens). */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

let installed: Notifier | undefined;

/** Makes `notifier` the one {@link notify} uses (server/serve.ts); undefined uninstalls. */
export function installNotifier(notifier: Notifier | undefined): void {
  installed = notifier;
}

/**
 * Tells the administrators about `event`, in the background, over the
 * channels configured in the portal. Safe to call anywhere in the main
 * thread; without a running server it only logs.
 */
export function notify(event: OpsEvent): void {
  if (!installed) {
    logger.warn("No notifier installed; {type} not sent", { type: event.type });
    return;
  }
  void installed.notify(event);
}
