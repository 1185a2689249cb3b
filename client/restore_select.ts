/**
 * Which version of each file a restore fetches: the newest by default, a
 * number (`--version`, 1 = oldest), or the newest stored at or before a
 * time (`--at`). Pure, over the list the server sent.
 * @module
 */
import type { VersionRecord } from "../server/protocol/restore_codec.ts";

/** `--version N` or `--at TIME` (milliseconds since the epoch); neither: newest. */
export type VersionChoice =
  | { kind: "newest" }
  | { kind: "number"; number: number }
  | { kind: "at"; at: number; text: string };

/** A file to restore, or why it cannot be. */
export type Selection =
  | { fileName: string; version: VersionRecord }
  | { fileName: string; problem: string };

/** The versions of each name, oldest first. */
export function byName(records: VersionRecord[]): Map<string, VersionRecord[]> {
  const names = new Map<string, VersionRecord[]>();
  for (const record of records) {
    const list = names.get(record.fileName) ?? [];
    list.push(record);
    names.set(record.fileName, list);
  }
  for (const list of names.values()) list.sort((a, b) => a.number - b.number);
  return names;
}

/**
 * One selection per requested name (every listed name when `files` is
 * empty), in the order asked.
 */
export function selectVersions(
  records: VersionRecord[],
  options: { files: string[]; choice: VersionChoice },
): Selection[] {
  const names = byName(records);
  const wanted = options.files.length > 0 ? options.files : [...names.keys()];
  return wanted.map((fileName): Selection => {
    const versions = names.get(fileName);
    if (!versions || versions.length === 0) {
      return { fileName, problem: `no backup of "${fileName}" on the server` };
    }
    const kept = versions.map((v) => v.number).join(", ");
    const { choice } = options;
    let version: VersionRecord | undefined;
    if (choice.kind === "newest") version = versions.at(-1);
    if (choice.kind === "number") {
      version = versions.find((v) => v.number === choice.number);
      if (!version) {
        return {
          fileName,
          problem:
            `"${fileName}" has no version ${choice.number} (kept: ${kept})`,
        };
      }
    }
    if (choice.kind === "at") {
      const before = versions.filter((v) =>
        Date.parse(v.storedAt) <= choice.at
      );
      // Newest by time; numbers grow with time, but ties are broken by number.
      version = before.sort((a, b) =>
        Date.parse(a.storedAt) - Date.parse(b.storedAt) || a.number - b.number
      ).at(-1);
      if (!version) {
        return {
          fileName,
          problem:
            `"${fileName}" has no version stored at or before ${choice.text} (oldest: ${
              versions[0].storedAt
            })`,
        };
      }
    }
    return { fileName, version: version! };
  });
}

/**
 * Parses `--at`: an ISO 8601 date or date and time; a time without zone is
 * local time, as `Date` reads it. Undefined when it is not one.
 */
export function parseAt(text: string): number | undefined {
  if (
    !/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/
      .test(text)
  ) {
    return undefined;
  }
  // A bare date means its end: "restore as it was on that day".
  const ms = /^\d{4}-\d\d-\d\d$/.test(text)
    ? Date.parse(`${text}T23:59:59.999`)
    : Date.parse(text.replace(" ", "T"));
  return Number.isNaN(ms) ? undefined : ms;
}
