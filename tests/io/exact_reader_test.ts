import assert from "node:assert/strict";
import { ExactReader, TruncatedError } from "../../server/io/exact_reader.ts";

/** A byte stream that delivers `bytes` in the given chunk sizes. */
function streamOf(
  bytes: Uint8Array,
  cuts: number[],
): ReadableStream<Uint8Array> {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (
    const cut of [...cuts, bytes.length].map((c) => Math.min(c, bytes.length))
  ) {
    if (cut > at) parts.push(bytes.slice(at, cut));
    at = Math.max(at, cut);
  }
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const next = parts.shift();
      if (next) controller.enqueue(next);
      else {
        controller.close();
        // A pending BYOB read must be answered explicitly once closed.
        controller.byobRequest?.respond(0);
      }
    },
  });
}

const DATA = Uint8Array.from({ length: 40 }, (_, i) => i * 3);

Deno.test("ExactReader reads exact frames whatever the chunk boundaries", async () => {
  for (let cut = 0; cut <= DATA.length; cut++) {
    for (const extra of [[], [cut + 1, cut + 2], [cut + 5]]) {
      const reader = new ExactReader(streamOf(DATA, [cut, ...extra]), {
        bufferSize: 64,
      });
      const first = await reader.read(23);
      assert.deepEqual(first && [...first], [...DATA.subarray(0, 23)]);
      const rest = await reader.read(17);
      assert.deepEqual(rest && [...rest], [...DATA.subarray(23)]);
      assert.equal(await reader.read(1), null);
    }
  }
});

Deno.test("ExactReader returns null on a clean end and throws on a truncated frame", async () => {
  const empty = new ExactReader(streamOf(new Uint8Array(0), []), {
    bufferSize: 8,
  });
  assert.equal(await empty.read(4), null);
  const cut = new ExactReader(streamOf(DATA.subarray(0, 10), [3]), {
    bufferSize: 64,
  });
  await assert.rejects(() => cut.read(23), TruncatedError);
});

Deno.test("ExactReader.chunks() yields exactly the asked bytes and leaves the rest", async () => {
  for (const cuts of [[1], [7, 8, 9], [20], []]) {
    const reader = new ExactReader(streamOf(DATA, cuts), { bufferSize: 16 });
    const seen: number[] = [];
    for await (const chunk of reader.chunks(30, 4)) seen.push(...chunk);
    assert.deepEqual(seen, [...DATA.subarray(0, 30)]);
    const tail = await reader.read(10);
    assert.deepEqual(tail && [...tail], [...DATA.subarray(30)]);
  }
});

Deno.test("ExactReader refuses a read larger than its buffer instead of allocating it", async () => {
  const reader = new ExactReader(streamOf(DATA, []), { bufferSize: 16 });
  await assert.rejects(() => reader.read(0xffffffff), RangeError);
});
