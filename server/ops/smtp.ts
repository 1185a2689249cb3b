/**
 * A small SMTP client (RFC 5321) over Deno.connect and Deno.startTls:
 * EHLO, STARTTLS (or implicit TLS), AUTH PLAIN or LOGIN, one message in
 * plain text (UTF-8, base64 body). Written here rather than taken from npm
 * because the npm clients (nodemailer and kin) lean on node:net/node:tls
 * socket upgrades that Deno's compatibility layer does not promise, and
 * the server may run where no registry is reachable; this is ~200 lines
 * over two Deno calls.
 * It never falls back to plain text: with "starttls" a server that does
 * not offer STARTTLS is an error, and AUTH is refused on a clear channel.
 * @module
 */
import { toBase64 } from "../../shared/encoding.ts";
import type { SmtpSecurity } from "./settings.ts";

/** Where and how to connect. */
export interface SmtpOptions {
  host: string;
  port: number;
  security: SmtpSecurity;
  user?: string;
  password?: string;
  /** Extra trusted CA certificates (PEM), for a private certificate. */
  caCerts?: string[];
  /** The name this side gives in EHLO. */
  heloName?: string;
  /** Time each reply may take. */
  timeoutMs?: number;
}

/** One plain-text message. */
export interface MailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/** An SMTP reply the client did not expect, or a protocol failure. */
export class SmtpError extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
    this.name = "SmtpError";
  }
}

interface Reply {
  code: number;
  lines: string[];
}

/** Reads CRLF lines from a connection that may change (STARTTLS). */
class LineChannel {
  #conn: Deno.Conn;
  #buffer = "";
  readonly #decoder = new TextDecoder();
  readonly #encoder = new TextEncoder();

  constructor(conn: Deno.Conn, readonly timeoutMs: number) {
    this.#conn = conn;
  }

  get conn(): Deno.Conn {
    return this.#conn;
  }

  /** Switches to TLS over the same socket (nothing may be buffered). */
  async upgrade(hostname: string, caCerts?: string[]): Promise<void> {
    if (this.#buffer !== "") {
      throw new SmtpError("server sent data before the TLS handshake");
    }
    this.#conn = await Deno.startTls(this.#conn as Deno.TcpConn, {
      hostname,
      caCerts,
    });
  }

  async write(text: string): Promise<void> {
    const bytes = this.#encoder.encode(text);
    for (let off = 0; off < bytes.length;) {
      off += await this.#conn.write(bytes.subarray(off));
    }
  }

  async #line(): Promise<string> {
    const chunk = new Uint8Array(4096);
    for (;;) {
      const end = this.#buffer.indexOf("\r\n");
      if (end >= 0) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return line;
      }
      if (this.#buffer.length > 64 * 1024) {
        throw new SmtpError("reply line too long");
      }
      const n = await this.#conn.read(chunk);
      if (n === null) throw new SmtpError("server closed the connection");
      this.#buffer += this.#decoder.decode(chunk.subarray(0, n), {
        stream: true,
      });
    }
  }

  /** One reply, multi-line replies joined. */
  async reply(): Promise<Reply> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SmtpError(`no reply within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([this.#reply(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #reply(): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.#line();
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) throw new SmtpError(`malformed reply: ${line.slice(0, 100)}`);
      lines.push(m[3]);
      if (m[2] === " ") return { code: Number(m[1]), lines };
    }
  }
}

async function expect(
  ch: LineChannel,
  command: string | undefined,
  codes: number[],
  what: string,
): Promise<Reply> {
  if (command !== undefined) await ch.write(`${command}\r\n`);
  const reply = await ch.reply();
  if (!codes.includes(reply.code)) {
    throw new SmtpError(
      `${what}: ${reply.code} ${reply.lines.join(" ")}`,
      reply.code,
    );
  }
  return reply;
}

/** The header value of a text that may be non-ASCII (RFC 2047). */
function encodeHeader(text: string): string {
  // Control characters (CR LF above all) would end the header early.
  // deno-lint-ignore no-control-regex
  const clean = text.replace(/[\x00-\x1f\x7f]+/g, " ");
  return /^[\x20-\x7e]*$/.test(clean)
    ? clean
    : `=?UTF-8?B?${toBase64(new TextEncoder().encode(clean))}?=`;
}

/** An address without anything that could break out of its command or header. */
function address(text: string): string {
  const a = text.trim();
  if (!/^[^\s<>\r\n@]+@[^\s<>\r\n@]+$/.test(a)) {
    throw new SmtpError(`not a mail address: ${JSON.stringify(text)}`);
  }
  return a;
}

/** The message as sent after DATA, dot-stuffed and ending in CRLF.CRLF. */
export function formatMessage(
  message: MailMessage,
  date: Date,
  id: string,
): string {
  const body = toBase64(new TextEncoder().encode(message.text))
    .replace(/.{1,76}/g, "$&\r\n");
  const headers = [
    `From: ${address(message.from)}`,
    `To: ${message.to.map(address).join(", ")}`,
    `Subject: ${encodeHeader(message.subject)}`,
    `Date: ${date.toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${id}@cyberbackup>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
  ];
  const data = `${headers.join("\r\n")}\r\n\r\n${body}`;
  return data.replace(/^\./gm, "..") + ".\r\n";
}

/**
 * Sends one message; returns the server's final reply to DATA. Throws an
 * SmtpError (or the connection's error) when anything is refused.
 */
export async function sendMail(
  options: SmtpOptions,
  message: MailMessage,
): Promise<string> {
  const from = address(message.from);
  const to = message.to.map(address);
  if (to.length === 0) throw new SmtpError("no recipient");
  const timeoutMs = options.timeoutMs ?? 30_000;
  const helo = options.heloName ?? "cyberbackup.localhost";
  const conn = options.security === "tls"
    ? await Deno.connectTls({
      hostname: options.host,
      port: options.port,
      caCerts: options.caCerts,
    })
    : await Deno.connect({ hostname: options.host, port: options.port });
  const ch = new LineChannel(conn, timeoutMs);
  try {
    await expect(ch, undefined, [220], "greeting");
    let ehlo = await expect(ch, `EHLO ${helo}`, [250], "EHLO");
    let secure = options.security === "tls";
    if (options.security === "starttls") {
      const offered = ehlo.lines.some((l) => /^STARTTLS\b/i.test(l));
      if (!offered) {
        throw new SmtpError("the server does not offer STARTTLS");
      }
      await expect(ch, "STARTTLS", [220], "STARTTLS");
      await ch.upgrade(options.host, options.caCerts);
      secure = true;
      ehlo = await expect(ch, `EHLO ${helo}`, [250], "EHLO after STARTTLS");
    }
    if (options.user) {
      if (!secure) {
        throw new SmtpError("refusing to send the password without TLS");
      }
      await authenticate(ch, ehlo, options.user, options.password ?? "");
    }
    await expect(ch, `MAIL FROM:<${from}>`, [250], "MAIL FROM");
    for (const rcpt of to) {
      await expect(ch, `RCPT TO:<${rcpt}>`, [250, 251], `RCPT TO ${rcpt}`);
    }
    await expect(ch, "DATA", [354], "DATA");
    await ch.write(
      formatMessage(message, new Date(), crypto.randomUUID()),
    );
    const done = await expect(ch, undefined, [250], "message");
    await ch.write("QUIT\r\n").catch(() => {});
    return `${done.code} ${done.lines.join(" ")}`;
  } finally {
    try {
      ch.conn.close();
    } catch { /* already closed */ }
  }
}

async function authenticate(
  ch: LineChannel,
  ehlo: Reply,
  user: string,
  password: string,
): Promise<void> {
  const authLine = ehlo.lines.find((l) => /^AUTH\b/i.test(l)) ?? "";
  const mechanisms = new Set(authLine.toUpperCase().split(/\s+/).slice(1));
  const b64 = (s: string) => toBase64(new TextEncoder().encode(s));
  if (mechanisms.has("PLAIN")) {
    await expect(
      ch,
      `AUTH PLAIN ${b64(`\0${user}\0${password}`)}`,
      [235],
      "AUTH PLAIN",
    );
  } else if (mechanisms.has("LOGIN")) {
    await expect(ch, "AUTH LOGIN", [334], "AUTH LOGIN");
    await expect(ch, b64(user), [334], "AUTH LOGIN user");
    await expect(ch, b64(password), [235], "AUTH LOGIN password");
  } else {
    throw new SmtpError(
      `the server offers no AUTH mechanism this client knows (${
        authLine || "none"
      })`,
    );
  }
}
