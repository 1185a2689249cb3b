/**
 * The form fields of a request, parsed once: the CSRF middleware and the
 * handler after it both read them, and a request body can be read only once.
 * The body is already bounded by body_limit.ts when this reads it.
 * @module
 */
import { redirect } from "./define.ts";
import { field } from "./params.ts";
import { safeNext } from "./security.ts";

/** A parsed form: field name to its last value (a string, or a File for uploads). */
export type FormFields = Record<string, string | File>;

const parsed = new WeakMap<Request, Promise<FormFields>>();

/**
 * The fields of a URL-encoded or multipart body; empty for any other
 * content type (as Hono's `parseBody` answers).
 */
export function readForm(req: Request): Promise<FormFields> {
  let form = parsed.get(req);
  if (!form) {
    form = parse(req);
    parsed.set(req, form);
  }
  return form;
}

async function parse(req: Request): Promise<FormFields> {
  const type = req.headers.get("content-type") ?? "";
  if (
    !type.includes("multipart/form-data") &&
    !type.includes("application/x-www-form-urlencoded")
  ) return {};
  const fields: FormFields = {};
  for (const [name, value] of await req.formData()) fields[name] = value;
  return fields;
}

/**
 * The 303 back to the page a form was posted from (its `back` field when
 * that is a page of this site, else `fallback`), with `?done=` saying what
 * happened.
 */
export function redirectBack(
  ctx: { url: URL },
  form: FormFields,
  fallback: string,
  done: string,
): Response {
  const back = new URL(safeNext(field(form, "back") ?? fallback), ctx.url);
  back.searchParams.set("done", done);
  return redirect(`${back.pathname}${back.search}`);
}
