/**
 * The operations settings (expected backup interval, notification
 * channels, intervals), kept as text in the `settings` table and parsed
 * once here into typed values with defaults. Unparseable stored values fall
 * back to the default: the portal validates what it writes.
 * @module
 */

/** How the SMTP connection is secured. */
export type SmtpSecurity = "starttls" | "tls" | "none";

/** Typed operations settings. */
export interface OpsSettings {
  /** Default expected interval between verified uploads. */
  intervalSeconds: number;
  /** Failed attempts in a row that make a client failing. */
  failingAfter: number;
  /** Re-notify a client still not ok after this long; 0: never. */
  renotifySeconds: number;
  webhook: {
    url: string;
    secret: string;
    /** Tries per notification, the first included. */
    attempts: number;
    /** Wait before the second try; doubled for each next one. */
    backoffMs: number;
  };
  smtp: {
    host: string;
    port: number;
    security: SmtpSecurity;
    user: string;
    password: string;
    from: string;
    to: string[];
    /** Extra trusted CA certificate (PEM) for a server with a private certificate. */
    caCert: string;
  };
  /** UTC hour (0-23) after which the daily summary goes out; -1: never. */
  summaryHour: number;
}

/** Every settings key with its default text, in the `settings` table. */
export const SETTING_DEFAULTS = {
  "ops.interval_seconds": "86400",
  "ops.failing_after": "3",
  "ops.renotify_seconds": "86400",
  "webhook.url": "",
  "webhook.secret": "",
  "webhook.attempts": "5",
  "webhook.backoff_ms": "2000",
  "smtp.host": "",
  "smtp.port": "587",
  "smtp.security": "starttls",
  "smtp.user": "",
  "smtp.password": "",
  "smtp.from": "",
  "smtp.to": "",
  "smtp.ca_cert": "",
  "summary.hour": "7",
} as const;

/** A settings key. */
export type SettingKey = keyof typeof SETTING_DEFAULTS;

/** Accepted ranges of the numeric settings. */
export const SETTING_RANGES: Partial<
  Record<SettingKey, { min: number; max: number }>
> = {
  "ops.interval_seconds": { min: 1, max: 365 * 86_400 },
  "ops.failing_after": { min: 1, max: 100 },
  "ops.renotify_seconds": { min: 0, max: 365 * 86_400 },
  "webhook.attempts": { min: 1, max: 10 },
  "webhook.backoff_ms": { min: 10, max: 3_600_000 },
  "smtp.port": { min: 1, max: 65535 },
  "summary.hour": { min: -1, max: 23 },
};

/**
 * Checks one value an administrator typed; returns the text to store, or
 * an error message. Secrets and free text are stored as given (trimmed).
 */
export function checkSetting(
  key: SettingKey,
  text: string,
): { value: string } | { error: string } {
  const value = text.trim();
  const range = SETTING_RANGES[key];
  if (range) {
    if (!/^-?\d+$/.test(value)) {
      return { error: `${key} must be a whole number` };
    }
    const n = Number(value);
    if (n < range.min || n > range.max) {
      return { error: `${key} must be from ${range.min} to ${range.max}` };
    }
  }
  if (key === "webhook.url" && value !== "") {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return { error: "webhook.url is not a URL" };
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return { error: "webhook.url must be http:// or https://" };
    }
  }
  if (key === "smtp.security" && !["starttls", "tls", "none"].includes(value)) {
    return { error: "smtp.security must be starttls, tls or none" };
  }
  if ((key === "smtp.from" || key === "smtp.to") && /[\r\n<>]/.test(value)) {
    return { error: `${key} holds a character not allowed in an address` };
  }
  return { value };
}

function int(raw: Record<string, string>, key: SettingKey): number {
  const fallback = Number(SETTING_DEFAULTS[key]);
  const text = raw[key];
  if (text === undefined || !/^-?\d+$/.test(text)) return fallback;
  const n = Number(text);
  const range = SETTING_RANGES[key];
  return range && (n < range.min || n > range.max) ? fallback : n;
}

function text(raw: Record<string, string>, key: SettingKey): string {
  return raw[key] ?? SETTING_DEFAULTS[key];
}

/** Typed settings from the stored key/value pairs. */
export function parseSettings(raw: Record<string, string>): OpsSettings {
  const security = text(raw, "smtp.security");
  return {
    intervalSeconds: int(raw, "ops.interval_seconds"),
    failingAfter: int(raw, "ops.failing_after"),
    renotifySeconds: int(raw, "ops.renotify_seconds"),
    webhook: {
      url: text(raw, "webhook.url"),
      secret: text(raw, "webhook.secret"),
      attempts: int(raw, "webhook.attempts"),
      backoffMs: int(raw, "webhook.backoff_ms"),
    },
    smtp: {
      host: text(raw, "smtp.host"),
      port: int(raw, "smtp.port"),
      security: security === "tls" || security === "none"
        ? security
        : "starttls",
      user: text(raw, "smtp.user"),
      password: text(raw, "smtp.password"),
      from: text(raw, "smtp.from"),
      to: text(raw, "smtp.to").split(",").map((s) => s.trim()).filter(Boolean),
      caCert: text(raw, "smtp.ca_cert"),
    },
    summaryHour: int(raw, "summary.hour"),
  };
}
