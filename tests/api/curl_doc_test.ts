/** The curl walk-through in docs/api.md runs as written against the API. */
import assert from "node:assert/strict";
import { startApi } from "./fixture.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

const DOC = new URL("../../docs/api.md", import.meta.url);
const tools = ["bash", "curl", "openssl", "jq", "xxd", "split", "cksum"];
const missing = tools.filter((tool) =>
  !new Deno.Command("sh", { args: ["-c", `command -v ${tool}`] }).outputSync()
    .success
);
if (missing.length) {
  // deno-lint-ignore no-console
  console.log(`Skipping the docs/api.md walk-through: missing ${missing}`);
}

/** The first sh block after the walk-through's heading. */
async function walkThrough(): Promise<string> {
  const text = await Deno.readTextFile(DOC);
  const section = text.slice(text.indexOf("## A whole backup with curl"));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "docs/api.md has the walk-through");
  return block[1];
}

Deno.test({
  name: "the curl and openssl walk-through in docs/api.md backs a file up",
  ignore: missing.length > 0,
  async fn() {
    const api = await startApi({ maxPacketBytes: 16 * 1024 * 1024 });
    const work = await Deno.makeTempDir({ prefix: "cb-curl-" });
    try {
      const script = (await walkThrough()).replace(
        /^API=.*$/m,
        `API=${api.url}`,
      );
      const result = await new Deno.Command("bash", {
        args: ["-euo", "pipefail", "-c", script],
        cwd: work,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(result.stdout);
      const err = new TextDecoder().decode(result.stderr);
      assert.equal(result.code, 0, out + err);
      assert.match(out, /"protocolVersion":3/);
      assert.match(out, /\{"fileName":"notes\.bin","verified":true\}/);
      assert.match(out, /"files":\[\{"fileName":"notes\.bin","size":2500000/);
      assert.match(out, /"oaepHash":"sha1","token":/);
      assert.match(out, /204\n$/);
      const client = api.db.clients.byName("alice")!;
      assert.equal(client.publicKey?.length, 160);
      const stored = await Deno.readFile(
        api.store.pathOf(client.id, "notes.bin"),
      );
      assertBytesEqual(stored, await Deno.readFile(`${work}/notes.bin`));
    } finally {
      await api.close();
      await Deno.remove(work, { recursive: true });
    }
  },
});
