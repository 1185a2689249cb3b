/**
 * Webhook delivery: a JSON POST signed with HMAC-SHA256 over the timestamp
 * and the raw body, retried with exponential backoff. A receiver checks
 * `X-CyberBackup-Signature: sha256=<hex>` against
 * HMAC(secret, `${X-CyberBackup-Timestamp}.${body}`) and rejects old
 * timestamps (replays); see docs/operations.md.
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Header of the signature. */
export const SIGNATURE_HEADER = "X-CyberBackup-Signature";
/** Header of the Unix time (seconds) the signature covers. */
export const TIMESTAMP_HEADER = "X-CyberBackup-Timestamp";

/** `sha256=<hex>` of `${timestamp}.${body}` under `secret`. */
export function signPayload(
  secret: string,
  timestamp: number,
  body: string,
): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`);
  return `sha256=${mac.digest("hex")}`;
}

/**
 * True when `signature` signs `body` at `timestamp` under `secret` and the
 * timestamp is within `toleranceS` of `nowS`: what a receiver runs.
 */
export function verifySignature(
  secret: string,
  input: { timestamp: string; signature: string; body: string },
  nowS: number,
  toleranceS = 300,
): boolean {
  if (!/^\d+$/.test(input.timestamp)) return false;
  const ts = Number(input.timestamp);
  if (Math.abs(nowS - ts) > toleranceS) return false;
  const expected = new TextEncoder().encode(
    signPayload(secret, ts, input.body),
  );
  const given = new TextEncoder().encode(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Where and how to deliver. */
export interface WebhookTarget {
  url: string;
  secret: string;
  attempts: number;
  backoffMs: number;
}

/** How a delivery ended. */
export interface WebhookResult {
  ok: boolean;
  attempts: number;
  /** "HTTP 204", or the last error. */
  detail: string;
}

/** Time one try may take. */
const TRY_TIMEOUT_MS = 10_000;

/** A status the receiver will answer the same way however often we try. */
function permanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * POSTs `body` (already JSON) to the target, signing each try afresh (a
 * new timestamp), until a 2xx, a permanent 4xx, or the last try.
 */
export async function deliverWebhook(
  target: WebhookTarget,
  body: string,
  headers: Record<string, string>,
  options: {
    fetch?: typeof fetch;
    sleep?: (ms: number) => Promise<void>;
    nowS?: () => number;
  } = {},
): Promise<WebhookResult> {
  const fetchFn = options.fetch ?? fetch;
  const sleep = options.sleep ??
    ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const nowS = options.nowS ?? (() => Math.floor(Date.now() / 1000));
  let detail = "not tried";
  for (let attempt = 1; attempt <= target.attempts; attempt++) {
    if (attempt > 1) await sleep(target.backoffMs * 2 ** (attempt - 2));
    const timestamp = nowS();
    try {
      const response = await fetchFn(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "CyberBackup-Webhook/1",
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signPayload(target.secret, timestamp, body),
          ...headers,
        },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(TRY_TIMEOUT_MS),
      });
      await response.body?.cancel();
      detail = `HTTP ${response.status}`;
      if (response.ok) return { ok: true, attempts: attempt, detail };
      if (permanent(response.status)) {
        return { ok: false, attempts: attempt, detail };
      }
    } catch (error) {
      detail = (error as Error).message;
    }
  }
  return { ok: false, attempts: target.attempts, detail };
}
