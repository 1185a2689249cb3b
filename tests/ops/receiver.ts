/**
 * A webhook receiver for tests: a real HTTP server on 127.0.0.1 that
 * checks each delivery's signature as a real receiver would and keeps the
 * events.
 * @module
 */
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
} from "../../server/ops/webhook.ts";
import type { OpsEvent } from "../../server/ops/events.ts";

/** A delivery as received. */
export interface Received {
  event: OpsEvent & { id: string; at: string };
  /** True when the signature matched the secret and the timestamp was fresh. */
  signed: boolean;
  headers: Headers;
}

/** A running receiver. */
export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** Starts a receiver that checks signatures against `secret`. */
export function startReceiver(secret: string): Receiver {
  const received: Received[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const body = await req.text();
      const signed = verifySignature(secret, {
        timestamp: req.headers.get(TIMESTAMP_HEADER) ?? "",
        signature: req.headers.get(SIGNATURE_HEADER) ?? "",
        body,
      }, Math.floor(Date.now() / 1000));
      received.push({ event: JSON.parse(body), signed, headers: req.headers });
      return new Response(null, { status: signed ? 204 : 401 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/hooks/cyberbackup`,
    received,
    close: () => server.shutdown(),
  };
}
