/** Packet bodies reach the session core in exactly their announced length. */
import assert from "node:assert/strict";
import { type BodyCheck, exactContent } from "../../server/api/body.ts";

function stream(...chunks: number[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((n) => new Uint8Array(n).fill(n)));
}

async function drain(
  body: ReadableStream<Uint8Array> | null,
  length: number,
): Promise<{ sizes: number[]; check: BodyCheck; error?: Error }> {
  const check: BodyCheck = {};
  const sizes: number[] = [];
  try {
    for await (const chunk of exactContent(body, length, check)) {
      sizes.push(chunk.length);
    }
    return { sizes, check };
  } catch (error) {
    return { sizes, check, error: error as Error };
  }
}

Deno.test("exactContent() yields a body of the announced length chunk by chunk", async () => {
  const result = await drain(stream(10, 0, 20, 5), 35);
  assert.deepEqual(result.sizes, [10, 20, 5]);
  assert.equal(result.error, undefined);
});

Deno.test("exactContent() refuses a short body after handing over what came", async () => {
  const result = await drain(stream(10, 20), 40);
  assert.deepEqual(result.sizes, [10, 20]);
  assert.ok(result.error instanceof RangeError);
  assert.equal(result.check.problem, "body has 30 bytes, expected 40");
});

Deno.test("exactContent() never hands over the last bytes of a body that runs on", async () => {
  const exact = await drain(stream(16, 16, 1), 32);
  assert.deepEqual(exact.sizes, [16], "the chunk reaching 32 is held back");
  assert.match(exact.check.problem ?? "", /longer than the announced 32/);
  const over = await drain(stream(16, 20), 32);
  assert.deepEqual(over.sizes, [16]);
  assert.match(over.check.problem ?? "", /longer/);
});

Deno.test("exactContent() takes an empty body for length 0 and refuses it otherwise", async () => {
  assert.equal((await drain(null, 0)).error, undefined);
  assert.equal((await drain(stream(), 0)).error, undefined);
  assert.match((await drain(null, 16)).check.problem ?? "", /empty/);
  assert.match((await drain(stream(1), 0)).check.problem ?? "", /longer/);
});

Deno.test("exactContent() reports a body that breaks off", async () => {
  const broken = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new Error("connection reset"));
    },
  });
  const result = await drain(broken, 16);
  assert.equal(result.check.problem, "body was cut off");
  assert.equal(result.error?.message, "connection reset");
});
