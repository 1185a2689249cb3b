/**
 * The portal's view of backup history: where a name's versions are listed
 * and downloaded, and the one path every act on a version takes (parse the
 * form, find the version, act, audit, return to the list).
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { fromHex, toHex } from "../../shared/encoding.ts";
import type {
  BackupStorage,
  FileRow,
  FileVersion,
  Page,
} from "../storage/types.ts";
import { actorOf, audit, type PortalActor } from "./audit.ts";
import type { Context } from "./define.ts";
import type { PortalDeps } from "./deps.ts";
import { readForm, redirectBack } from "./form.ts";
import { field, parseClientId, positiveInt } from "./params.ts";

const logger = getLogger(["cyberbackup", "portal"]);

/** A version as a request names it: its client, its file name and its number. */
export interface VersionRef {
  client: Uint8Array;
  fileName: string;
  number: number;
}

/** Parses `client` (32 hex), `name` and `number` (1, 2, …); undefined when one is malformed. */
export function parseVersionRef(
  values: {
    client?: string | null;
    name?: string | null;
    number?: string | null;
  },
): VersionRef | undefined {
  const client = parseClientId(values.client);
  const number = positiveInt(values.number, 0);
  if (!client || !values.name || number === 0) return undefined;
  return { client, fileName: values.name, number };
}

/** The query string naming a client's file: `client=<hex>&name=<encoded>`. */
export function fileQuery(clientHex: string, fileName: string): string {
  return `client=${clientHex}&name=${encodeURIComponent(fileName)}`;
}

/** The version list of a name. */
export function versionsHref(clientHex: string, fileName: string): string {
  return `/files/versions?${fileQuery(clientHex, fileName)}`;
}

/** Where one version is downloaded. */
export function versionDownloadHref(version: FileVersion): string {
  return `/files/versions/download?${
    fileQuery(toHex(version.clientId), version.fileName)
  }&number=${version.number}`;
}

/** The audit target of a version's name: "<client hex>/<name>". */
export function versionTarget(version: FileVersion): string {
  return `${toHex(version.clientId)}/${version.fileName}`;
}

/** A files row with the number of versions (kept and trashed) of its name. */
export type CountedFileRow = FileRow & { versions: number };

/**
 * Adds to each row of a page of files how many versions its name has, kept
 * and trashed (as its version list shows them): one count per row over the
 * versions index alone, never a read of the table.
 */
export function withVersionCounts(
  db: Pick<BackupStorage, "versions">,
  files: Page<FileRow>,
): Page<CountedFileRow> {
  return {
    ...files,
    rows: files.rows.map((row) => ({
      ...row,
      versions: db.versions.count(fromHex(row.clientId), row.fileName),
    })),
  };
}

/** An act on one version, as a route posts it. */
export interface VersionAct {
  /**
   * Dotted audit action, e.g. "version.pin", recorded after the act; none
   * for an act whose service records its own.
   */
  audit?: string;
  /** The `?done=` flash shown after it. */
  done: string;
  /** Does the act; false when there was nothing to do it to. */
  apply(
    version: FileVersion,
    context: { deps: PortalDeps; by: PortalActor; now: string },
  ): boolean;
}

/**
 * Runs `act` on the version the posted form names (`client`, `name`,
 * `number`), records it in the audit log and returns to `back` (default:
 * the name's version list) with the outcome as `?done=`.
 */
export async function actOnVersion(
  ctx: Context,
  act: VersionAct,
): Promise<Response> {
  const form = await readForm(ctx.req);
  const ref = parseVersionRef({
    client: field(form, "client"),
    name: field(form, "name"),
    number: field(form, "number"),
  });
  const fallback = ref
    ? versionsHref(toHex(ref.client), ref.fileName)
    : "/files";
  const deps = ctx.state.deps;
  const version = ref &&
    deps.db.versions.byNumber(ref.client, ref.fileName, ref.number);
  const by = actorOf(ctx);
  const done = version &&
      act.apply(version, { deps, by, now: new Date().toISOString() })
    ? act.done
    : "not-found";
  if (version && done === act.done) {
    if (act.audit) {
      audit(ctx, {
        action: act.audit,
        target: versionTarget(version),
        detail: JSON.stringify({
          version: version.number,
          blake3: version.blake3,
        }),
      });
    }
    logger.info("Version changed by administrator", {
      done: act.done,
      client: toHex(version.clientId),
      file: version.fileName,
      version: version.number,
      admin: by.actor,
    });
  }
  return redirectBack(ctx, form, fallback, done);
}
