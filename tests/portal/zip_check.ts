/**
 * Reads a zip file with tools that share no code with the server: Python's
 * zipfile (entries, flags, methods, CRC check, extraction) and Info-ZIP's
 * `unzip -t`.
 * @module
 */

/** One entry as Python's zipfile sees it. */
export interface ZipInfo {
  name: string;
  flags: number;
  method: number;
  size: number;
  crc: number;
  offset: number;
}

const INSPECT = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip() if sys.argv[2] == "test" else None
    if sys.argv[3]:
        z.extractall(sys.argv[3])
    print(json.dumps({"bad": bad, "entries": [
        {"name": i.filename, "flags": i.flag_bits, "method": i.compress_type,
         "size": i.file_size, "crc": i.CRC, "offset": i.header_offset}
        for i in z.infolist()]}))
`;

/**
 * The entries of the zip at `path`; with `test`, every entry's CRC is
 * checked (throws on a bad one); with `extractTo`, files are unpacked there.
 */
export async function inspectZip(
  path: string,
  options: { test?: boolean; extractTo?: string } = {},
): Promise<ZipInfo[]> {
  const { code, stdout, stderr } = await new Deno.Command("python3", {
    args: [
      "-c",
      INSPECT,
      path,
      options.test ? "test" : "",
      options.extractTo ?? "",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  if (code !== 0) throw new Error(`python3 zipfile failed: ${err}`);
  const result = JSON.parse(new TextDecoder().decode(stdout));
  if (result.bad !== null) throw new Error(`bad CRC in entry ${result.bad}`);
  return result.entries;
}

/** `unzip -t`: true when Info-ZIP finds no error (CRCs included). */
export async function unzipTest(path: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("unzip", {
    args: ["-t", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) +
    new TextDecoder().decode(stderr);
  if (code !== 0) throw new Error(`unzip -t failed (${code}): ${text}`);
  return text;
}
