/**
 * A full descriptor table does not kill the accept loop: a child process
 * runs the TCP pool under `ulimit -n 256` and fills its table while a
 * client connects; once descriptors are free again the same port serves a
 * registration, and the pool stops within its grace period.
 */
import assert from "node:assert/strict";
import { RawClient, registerClient, waitUntil } from "../e2e/harness.ts";
import { RequestCode } from "../../server/protocol/constants.ts";

const CHILD = new URL("./emfile_child.ts", import.meta.url).pathname;

Deno.test({
  name:
    "a TCP worker survives EMFILE on accept and serves registrations once descriptors are free",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "cb-emfile-" });
    const child = new Deno.Command("bash", {
      args: [
        "-c",
        `ulimit -n 256; exec "$0" "$@"`,
        Deno.execPath(),
        "run",
        "--allow-all",
        CHILD,
        dataDir,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let text = "";
    const decoder = new TextDecoder();
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) text += decoder.decode(chunk);
    };
    const collected = Promise.all([
      collect(child.stdout),
      collect(child.stderr),
    ]);
    const writer = child.stdin.getWriter();
    const say = (word: string) =>
      writer.write(new TextEncoder().encode(word)).catch((error) => {
        throw new Error(`Cannot tell the child "${word}": ${error}\n${text}`);
      });
    const held: RawClient[] = [];
    try {
      await waitUntil(
        () => /full after \d+/.test(text),
        "a full table",
        20_000,
      );
      const port = Number(/port (\d+)/.exec(text)![1]);
      assert.match(text, /Too many open files/);
      // The kernel completes the handshake; accept() in the worker fails.
      for (let i = 0; i < 3; i++) held.push(await RawClient.connect(port));
      await held[0].send({
        code: RequestCode.REGISTER,
        clientId: new Uint8Array(16),
        name: "early",
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await say("release\n");
      await waitUntil(() => text.includes("released"), "the release");
      // The connection that waited in the backlog is served now.
      assert.equal((await held[0].read())?.code, 1600);
      const late = await registerClient(port, "late");
      held.push(late.raw);
      for (const raw of held) raw.close();
      await say("stop\n");
      const status = await child.status;
      await collected;
      assert.equal(status.code, 0, text);
      const took = Number(/stopped in (\d+) ms/.exec(text)?.[1]);
      assert.ok(took < 3000, text);
    } finally {
      for (const raw of held) raw.close();
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await collected;
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
