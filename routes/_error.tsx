/** The page for 403, 404 and 500 answers (and any `HttpError` a handler throws). */
import { BareLayout, Layout } from "../components/Layout.tsx";
import { define } from "../server/portal/define.ts";

export interface ErrorData {
  status: number;
  message: string;
}

const TITLES: Record<number, string> = {
  403: "Not allowed",
  404: "Not found",
  429: "Too many attempts",
  500: "Server error",
};

export default define.page<ErrorData>(
  function ErrorPage({ data, url, session }) {
    const title = TITLES[data.status] ?? "Error";
    const body = (
      <section class="panel narrow" data-status={data.status}>
        <p>{data.message}</p>
        <p>
          <a class="button" href="/">Back to the dashboard</a>
        </p>
      </section>
    );
    if (!session) return <BareLayout title={title}>{body}</BareLayout>;
    return <Layout title={title} url={url} session={session}>{body}</Layout>;
  },
);
