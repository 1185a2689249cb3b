/** The SMTP client against a real aiosmtpd: STARTTLS, AUTH, refusals. */
import assert from "node:assert/strict";
import { sendMail, SmtpError } from "../../server/ops/smtp.ts";
import {
  bodyOf,
  headerOf,
  smtpSkipReason,
  startSmtpServer,
} from "./smtp_fixture.ts";

const skip = smtpSkipReason();
if (skip) {
  // deno-lint-ignore no-console
  console.warn(`Skipping SMTP tests: ${skip}`);
}

Deno.test({
  name: "sendMail delivers over STARTTLS with AUTH to a real aiosmtpd",
  ignore: skip !== undefined,
  async fn() {
    const server = await startSmtpServer();
    try {
      const reply = await sendMail({
        host: "127.0.0.1",
        port: server.port,
        security: "starttls",
        user: server.user,
        password: server.password,
        caCerts: [server.cert],
      }, {
        from: "backup@example.org",
        to: ["ops@example.org", "oncall@example.org"],
        subject: "Client “laptöp” is overdue\r\nBcc: evil@example.org",
        text: ".leading dot\nSecond line: ünïcode",
      });
      assert.match(reply, /^250 /);
      await server.waitFor(1);
      assert.equal(server.received.length, 1);
      const mail = server.received[0];
      assert.equal(mail.tls, true);
      assert.equal(mail.user, server.user);
      assert.equal(mail.from, "backup@example.org");
      assert.deepEqual(mail.to, ["ops@example.org", "oncall@example.org"]);
      assert.equal(bodyOf(mail), ".leading dot\nSecond line: ünïcode");
      // The CR LF in the subject never became a header of its own.
      assert.equal(headerOf(mail, "Bcc"), undefined);
      assert.match(headerOf(mail, "Subject")!, /^=\?UTF-8\?B\?/);
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name:
    "sendMail refuses a wrong password, an untrusted certificate and AUTH without TLS",
  ignore: skip !== undefined,
  async fn() {
    const server = await startSmtpServer();
    const base = {
      host: "127.0.0.1",
      port: server.port,
      user: server.user,
      caCerts: [server.cert],
    };
    const message = {
      from: "a@example.org",
      to: ["b@example.org"],
      subject: "s",
      text: "t",
    };
    try {
      await assert.rejects(
        sendMail({ ...base, security: "starttls", password: "wrong" }, message),
        (e: Error) => e instanceof SmtpError && /AUTH/.test(e.message),
      );
      await assert.rejects(
        sendMail({
          ...base,
          security: "starttls",
          password: server.password,
          caCerts: undefined,
        }, message),
      );
      await assert.rejects(
        sendMail(
          { ...base, security: "none", password: server.password },
          message,
        ),
        /without TLS/,
      );
      assert.equal(server.received.length, 0);
    } finally {
      await server.close();
    }
  },
});
