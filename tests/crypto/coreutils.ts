/** The reference the checksum tests compare against: coreutils `cksum`. */
import assert from "node:assert/strict";

/** What `/usr/bin/cksum FILE` prints: checksum and size. */
export async function coreutilsCksum(path: string): Promise<[number, number]> {
  const { code, stdout } = await new Deno.Command("/usr/bin/cksum", {
    args: [path],
    stdout: "piped",
  }).output();
  assert.equal(code, 0);
  const [sum, size] = new TextDecoder().decode(stdout).split(" ");
  return [Number(sum), Number(size)];
}
