/**
 * A real SMTP server for tests: Debian's python3-aiosmtpd (tests/ops/
 * smtp_server.py) with a self-signed certificate made by `openssl req`,
 * STARTTLS required and AUTH for one user. Tests skip with
 * {@link smtpSkipReason} when python3-aiosmtpd or openssl is missing.
 * @module
 */
import { fromBase64 as decodeBase64 } from "../../shared/encoding.ts";

const SCRIPT = new URL("./smtp_server.py", import.meta.url).pathname;

/** A message as the server received it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | null;
  tls: boolean;
  /** The raw message (headers and body). */
  data: string;
}

/** A running aiosmtpd. */
export interface SmtpServer {
  port: number;
  user: string;
  password: string;
  /** The CA certificate (PEM) that signed the server's, to trust. */
  cert: string;
  received: ReceivedMail[];
  /** Waits until `count` messages have been read off the server's output. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function runs(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** The python3 that has aiosmtpd, or undefined. */
function pythonWithAiosmtpd(): string | undefined {
  return ["/usr/bin/python3", "python3"].find((p) =>
    runs(p, ["-c", "import aiosmtpd"])
  );
}

/** Why SMTP tests cannot run here, or undefined when they can. */
export function smtpSkipReason(): string | undefined {
  if (!pythonWithAiosmtpd()) {
    return "no python3 with aiosmtpd (apt-get install python3-aiosmtpd)";
  }
  if (!runs("openssl", ["version"])) return "no openssl";
  return undefined;
}

async function openssl(...args: string[]): Promise<void> {
  const made = await new Deno.Command("openssl", {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!made.success) throw new Error(new TextDecoder().decode(made.stderr));
}

/** Starts aiosmtpd on a free port of 127.0.0.1. */
export async function startSmtpServer(): Promise<SmtpServer> {
  const dir = await Deno.makeTempDir({ prefix: "cb-smtp-" });
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  const ca = `${dir}/ca.pem`;
  // rustls takes no self-signed leaf: a throwaway CA signs the server's certificate.
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=CyberBackup test CA",
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    ca,
  );
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    key,
    "-out",
    `${dir}/server.csr`,
  );
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    `${dir}/server.csr`,
    "-CA",
    ca,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    `${dir}/ext.cnf`,
    "-out",
    cert,
  );
  const user = "alerts";
  const password = "s3cret-" + crypto.randomUUID().slice(0, 8);
  const child = new Deno.Command(pythonWithAiosmtpd()!, {
    args: [SCRIPT, cert, key, user, password],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const received: ReceivedMail[] = [];
  const ready = Promise.withResolvers<number>();
  const reading = (async () => {
    let buffer = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith("READY ")) ready.resolve(Number(line.slice(6)));
        else if (line.startsWith("{")) received.push(JSON.parse(line));
      }
    }
  })();
  const timeout = setTimeout(() => {
    ready.reject(new Error("aiosmtpd did not start within 15 s"));
    child.kill();
  }, 15_000);
  const port = await ready.promise;
  clearTimeout(timeout);
  return {
    port,
    user,
    password,
    cert: await Deno.readTextFile(ca),
    received,
    async waitFor(count, timeoutMs = 10_000) {
      // The server prints each message before it answers 250, but its
      // output reaches this process a moment later.
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`${received.length} of ${count} mails arrived`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await child.stdin.close();
      await child.status;
      await reading;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The decoded text body of a received base64 plain-text message. */
export function bodyOf(mail: ReceivedMail): string {
  const [, body] = mail.data.split(/\r?\n\r?\n/, 2);
  return new TextDecoder().decode(decodeBase64(body.replace(/\s+/g, "")));
}

/** A header of a received message. */
export function headerOf(mail: ReceivedMail, name: string): string | undefined {
  const m = new RegExp(`^${name}: (.*)$`, "mi").exec(mail.data);
  return m?.[1];
}
