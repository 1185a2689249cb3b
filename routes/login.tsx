/** Sign-in. Throttled per address; the form carries a double-submit CSRF token. */
import { BareLayout } from "../components/Layout.tsx";
import { define, page, redirect } from "../server/portal/define.ts";
import { readForm } from "../server/portal/form.ts";
import { field } from "../server/portal/params.ts";
import { safeNext, sameOrigin } from "../server/portal/security.ts";
import { audit } from "../server/portal/audit.ts";

interface LoginData {
  token: string;
  next: string;
  user: string;
  error?: string;
}

export const handler = define.handlers<LoginData>({
  GET(ctx) {
    const next = safeNext(ctx.url.searchParams.get("next"));
    if (ctx.state.session) return redirect(next);
    return page({
      token: ctx.state.portal.auth.loginToken(ctx),
      next,
      user: "admin",
    });
  },
  async POST(ctx) {
    const form = await readForm(ctx.req);
    const user = (field(form, "user") ?? "").trim().slice(0, 100);
    const password = (field(form, "password") ?? "").slice(0, 1024);
    const next = safeNext(field(form, "next"));
    const auth = ctx.state.portal.auth;
    if (
      !sameOrigin(ctx.req) ||
      !auth.checkLoginToken(ctx, field(form, "_csrf"))
    ) {
      const token = auth.loginToken(ctx);
      return page({
        token,
        next,
        user,
        error: "The sign-in form expired. Please try again.",
      }, { status: 403 });
    }
    const result = await auth.signIn(ctx, user, password);
    if (result.ok) {
      audit(ctx, { action: "auth.sign-in", actor: user });
      return redirect(next);
    }
    const token = auth.loginToken(ctx);
    if (result.reason === "throttled") {
      const seconds = Math.ceil(result.retryAfterMs / 1000);
      return page({
        token,
        next,
        user,
        error: `Too many failed attempts. Try again in ${seconds} s.`,
      }, {
        status: 429,
        headers: { "retry-after": String(seconds) },
      });
    }
    return page({ token, next, user, error: "Wrong user name or password." }, {
      status: 401,
    });
  },
});

export default define.page<LoginData>(function Login({ data }) {
  return (
    <BareLayout title="Sign in">
      <form class="panel login" method="post" action="/login">
        <h1>Sign in</h1>
        <p class="muted">Administrators of this backup server only.</p>
        {data.error && <p class="flash bad" role="alert">{data.error}</p>}
        <input type="hidden" name="_csrf" value={data.token} />
        <input type="hidden" name="next" value={data.next} />
        <label>
          User name
          <input
            name="user"
            value={data.user}
            autocomplete="username"
            required
            maxLength={100}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            autofocus
          />
        </label>
        <button type="submit" class="button primary">Sign in</button>
      </form>
    </BareLayout>
  );
});
