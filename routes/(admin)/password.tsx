/**
 * Changing the signed-in administrator's password. The current password is
 * checked under the sign-in throttle; the change signs out every other
 * session of the account (this one stays).
 */
import { Csrf, Layout } from "../../components/Layout.tsx";
import { getLogger } from "@logtape/logtape";
import {
  MIN_PASSWORD_LENGTH,
  setAdminPassword,
} from "../../server/admin/account.ts";
import { define, page } from "../../server/portal/define.ts";
import { readForm } from "../../server/portal/form.ts";
import { field } from "../../server/portal/params.ts";
import { audit } from "../../server/portal/audit.ts";

const logger = getLogger(["cyberbackup", "portal"]);

interface PasswordData {
  error?: string;
  done?: boolean;
}

export const handler = define.handlers<PasswordData>({
  GET: () => page({}),
  async POST(ctx) {
    const session = ctx.state.session!;
    const form = await readForm(ctx.req);
    const current = (field(form, "current") ?? "").slice(0, 1024);
    const password = (field(form, "password") ?? "").slice(0, 1024);
    const confirm = (field(form, "confirm") ?? "").slice(0, 1024);
    if (password.length < MIN_PASSWORD_LENGTH) {
      return page({
        error:
          `The new password must have at least ${MIN_PASSWORD_LENGTH} characters.`,
      }, { status: 400 });
    }
    if (password !== confirm) {
      return page({ error: "The two new passwords differ." }, { status: 400 });
    }
    const checked = await ctx.state.portal.auth.checkPassword(
      ctx,
      session.user,
      current,
    );
    if (!checked.ok) {
      if (checked.reason === "throttled") {
        const seconds = Math.ceil(checked.retryAfterMs / 1000);
        return page({
          error: `Too many failed attempts. Try again in ${seconds} s.`,
        }, { status: 429, headers: { "retry-after": String(seconds) } });
      }
      return page({ error: "The current password is wrong." }, {
        status: 403,
      });
    }
    await setAdminPassword(ctx.state.deps.db, session.user, password, {
      keepSession: session.id,
    });
    audit(ctx, { action: "auth.password-change", target: session.user });
    logger.warn("Portal password changed; other sessions signed out", {
      user: session.user,
    });
    return page({ done: true });
  },
});

export default define.page<PasswordData>(
  function Password({ data, url, session }) {
    return (
      <Layout
        title="Change password"
        url={url}
        session={session}
        flash={data.done
          ? {
            kind: "ok",
            text: "Password changed. Your other sessions are signed out.",
          }
          : data.error
          ? { kind: "bad", text: data.error }
          : undefined}
      >
        <section class="panel">
          <form method="post" action="/password" class="stack">
            <Csrf session={session} />
            <label>
              Current password
              <input
                name="current"
                type="password"
                autocomplete="current-password"
                required
              />
            </label>
            <label>
              New password
              <input
                name="password"
                type="password"
                autocomplete="new-password"
                minLength={MIN_PASSWORD_LENGTH}
                required
              />
            </label>
            <label>
              New password again
              <input
                name="confirm"
                type="password"
                autocomplete="new-password"
                minLength={MIN_PASSWORD_LENGTH}
                required
              />
            </label>
            <p class="muted">
              Every other browser signed in as {session?.user}{" "}
              is signed out when the password changes.
            </p>
            <button type="submit" class="button primary">
              Change password
            </button>
          </form>
        </section>
      </Layout>
    );
  },
);
